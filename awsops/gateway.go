package awsops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// GatewayAPI is the part of the bedrockagentcorecontrol client that reads and changes AgentCore Gateways (the
// managed MCP servers in front of tools).
type GatewayAPI interface {
	GetGateway(ctx context.Context, in *bedrockagentcorecontrol.GetGatewayInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.GetGatewayOutput, error)
	UpdateGateway(ctx context.Context, in *bedrockagentcorecontrol.UpdateGatewayInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.UpdateGatewayOutput, error)
	ListGateways(ctx context.Context, in *bedrockagentcorecontrol.ListGatewaysInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.ListGatewaysOutput, error)
}

// GatewayARN is a parsed AgentCore Gateway ARN: arn:<partition>:bedrock-agentcore:<region>:<account>:gateway/<id>.
type GatewayARN struct {
	Partition, Region, Account, GatewayID string
}

var gatewayIDRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9a-z][-]?){1,100}-[0-9a-z]{10}$`)
})

// ParseGatewayARN validates an AgentCore Gateway ARN.
func ParseGatewayARN(s string) (GatewayARN, error) {
	a, err := parseAgentCoreARN(s, "gateway", gatewayIDRe().MatchString, "is not <name>-<10 lowercase alphanumerics>")
	return GatewayARN{Partition: a.partition, Region: a.region, Account: a.account, GatewayID: a.id}, err
}

func (a GatewayARN) String() string {
	return fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:gateway/%s", a.Partition, a.Region, a.Account, a.GatewayID)
}

// GatewayIDFrom accepts a gateway id or ARN and returns the id.
func GatewayIDFrom(idOrARN string) (string, error) {
	return idFrom(idOrARN, "gateway", gatewayIDRe().MatchString, "<name>-<10 lowercase alphanumerics>", func(s string) (string, error) {
		a, err := ParseGatewayARN(s)
		return a.GatewayID, err
	})
}

// GatewayMCPURL is the gateway's MCP endpoint as AgentCore publishes it
// (https://<gateway id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp); used when GetGateway's gatewayUrl
// is not at hand (an offline render).
func GatewayMCPURL(id, region string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return fmt.Sprintf("https://%s.gateway.bedrock-agentcore.%s.%s/mcp", id, region, suffix)
}

func (a *AgentCore) gateways() (GatewayAPI, error) {
	if g, ok := a.API.(GatewayAPI); ok {
		return g, nil
	}
	return nil, errors.New("this AgentCore client cannot read gateways")
}

// GetGateway reads one gateway (id or ARN).
func (a *AgentCore) GetGateway(ctx context.Context, idOrARN string) (*bedrockagentcorecontrol.GetGatewayOutput, error) {
	id, err := GatewayIDFrom(idOrARN)
	if err != nil {
		return nil, err
	}
	api, err := a.gateways()
	if err != nil {
		return nil, err
	}
	g, err := api.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("reading AgentCore gateway %s: %w", id, ExplainAgentCore(err))
	}
	return g, nil
}

// GatewayUpdateFieldsNotFromGet are the UpdateGatewayInput fields UpdateGatewayInputFromGet does not copy from
// GetGatewayOutput, with the reason; every other field is copied by name (a test enforces it).
var GatewayUpdateFieldsNotFromGet = map[string]string{
	"GatewayIdentifier": "path label, set from the gateway id",
}

// UpdateGatewayInputFromGet builds an UpdateGatewayInput that re-applies everything the gateway has now.
// UpdateGateway, like UpdateAgentRuntime, replaces the spec: every field GetGatewayOutput also has is copied by
// reflection, so fields added by newer SDKs are kept too.
func UpdateGatewayInputFromGet(g *bedrockagentcorecontrol.GetGatewayOutput) *bedrockagentcorecontrol.UpdateGatewayInput {
	in := &bedrockagentcorecontrol.UpdateGatewayInput{}
	copySameNamedFields(in, g, GatewayUpdateFieldsNotFromGet)
	in.GatewayIdentifier = g.GatewayId
	return in
}

// ErrGatewayTypeChange is returned (wrapped in *GatewayTypeChangeError) when SetGatewayAuthorizer would change a
// gateway whose authorizer type is AWS_IAM or NONE and the change was not confirmed.
var ErrGatewayTypeChange = errors.New("the gateway's authorizer type would change")

// GatewayTypeChangeError names the gateway and its current authorizer type.
type GatewayTypeChangeError struct {
	GatewayID, Name, From string
}

func (e *GatewayTypeChangeError) Error() string {
	what := map[string]string{"AWS_IAM": "accepts IAM (SigV4) callers only", "NONE": "accepts every caller without authorization"}[e.From]
	return fmt.Sprintf("gateway %s (%s) has authorizer type %s (%s); switching it to CUSTOM_JWT changes who can call it. Confirm the change (--yes, or answer yes in the plan) or pick another gateway",
		e.Name, e.GatewayID, e.From, what)
}

func (e *GatewayTypeChangeError) Unwrap() error { return ErrGatewayTypeChange }

// SetGatewayOptions tune SetGatewayAuthorizer.
type SetGatewayOptions struct {
	Progress func(status string, waited time.Duration)
	NoWait   bool
	// ConfirmTypeChange allows changing a gateway whose authorizer type is AWS_IAM or NONE.
	ConfirmTypeChange bool
	// Type is the authorizer type to set ("" = CUSTOM_JWT); AWS_IAM and NONE take no configuration (teardown
	// restoring what the gateway had).
	Type types.AuthorizerType
}

// SetGatewayResult says what SetGatewayAuthorizer did.
type SetGatewayResult struct {
	Changed bool
	// PreviousType and Previous are the authorizer before the change.
	PreviousType types.AuthorizerType
	Previous     types.AuthorizerConfiguration
	Gateway      *bedrockagentcorecontrol.GetGatewayOutput
}

// SetGatewayAuthorizer makes the gateway's inbound authorization CUSTOM_JWT with newAuth: Get, copy every field,
// change the authorizer, Update, wait until READY. Nothing is sent when it already has exactly that. A gateway
// whose type is AWS_IAM or NONE is changed only with o.ConfirmTypeChange (else *GatewayTypeChangeError).
func (a *AgentCore) SetGatewayAuthorizer(ctx context.Context, idOrARN string, newAuth types.AuthorizerConfiguration, o SetGatewayOptions) (SetGatewayResult, error) {
	id, err := GatewayIDFrom(idOrARN)
	if err != nil {
		return SetGatewayResult{}, err
	}
	want := o.Type
	if want == "" {
		want = types.AuthorizerTypeCustomJwt
	}
	if want != types.AuthorizerTypeCustomJwt && want != types.AuthorizerTypeAuthenticateOnly {
		newAuth = nil
	}
	var res SetGatewayResult
	res.Gateway, res.Changed, err = changeAuthorizer(ctx, authorizerChange[*bedrockagentcorecontrol.GetGatewayOutput]{
		kind: "gateway", id: id, o: SetOptions{Progress: o.Progress, NoWait: o.NoWait}, get: a.GetGateway, wait: a.WaitGatewayReady,
		status: func(g *bedrockagentcorecontrol.GetGatewayOutput) string { return string(g.Status) },
		update: func(ctx context.Context, g *bedrockagentcorecontrol.GetGatewayOutput) (bool, error) {
			res.PreviousType, res.Previous = g.AuthorizerType, g.AuthorizerConfiguration
			if g.AuthorizerType == want && AuthorizerEqual(g.AuthorizerConfiguration, newAuth) {
				return false, nil
			}
			if g.AuthorizerType != want && (g.AuthorizerType == types.AuthorizerTypeAwsIam || g.AuthorizerType == types.AuthorizerTypeNone) && !o.ConfirmTypeChange {
				return false, &GatewayTypeChangeError{GatewayID: id, Name: aws.ToString(g.Name), From: string(g.AuthorizerType)}
			}
			in := UpdateGatewayInputFromGet(g)
			in.AuthorizerType = want
			in.AuthorizerConfiguration = newAuth
			api, err := a.gateways()
			if err != nil {
				return false, err
			}
			if _, err := api.UpdateGateway(ctx, in); err != nil {
				return false, fmt.Errorf("updating the authorizer of gateway %s: %w", id, ExplainAgentCore(err))
			}
			return true, nil
		},
	})
	return res, err
}

// WaitGatewayReady polls GetGateway until READY; FAILED / UPDATE_UNSUCCESSFUL return an *UpdateFailedError with
// the status reasons, running out of WaitTimeout a *WaitTimeoutError.
func (a *AgentCore) WaitGatewayReady(ctx context.Context, idOrARN string, progress func(status string, waited time.Duration)) (*bedrockagentcorecontrol.GetGatewayOutput, error) {
	id, err := GatewayIDFrom(idOrARN)
	if err != nil {
		return nil, err
	}
	api, err := a.gateways()
	if err != nil {
		return nil, err
	}
	w := waitTarget{kind: "gateway", id: id, show: "aws bedrock-agentcore-control get-gateway --gateway-identifier " + id}
	return waitUntilReady(ctx, a, w, progress, func(ctx context.Context) (*bedrockagentcorecontrol.GetGatewayOutput, polled, error) {
		g, err := api.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String(id)})
		if err != nil {
			return nil, polled{}, err
		}
		return g, polled{status: string(g.Status), ready: g.Status == types.GatewayStatusReady,
			failed:   g.Status == types.GatewayStatusFailed || g.Status == types.GatewayStatusUpdateUnsuccessful,
			deleting: g.Status == types.GatewayStatusDeleting, reason: strings.Join(g.StatusReasons, "; ")}, nil
	})
}

// ListGateways lists every gateway in the region (all pages).
func (a *AgentCore) ListGateways(ctx context.Context) ([]types.GatewaySummary, error) {
	api, err := a.gateways()
	if err != nil {
		return nil, err
	}
	var out []types.GatewaySummary
	var next *string
	for {
		page, err := api.ListGateways(ctx, &bedrockagentcorecontrol.ListGatewaysInput{NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("listing AgentCore gateways: %w", ExplainAgentCore(err))
		}
		out = append(out, page.Items...)
		if page.NextToken == nil || *page.NextToken == "" {
			return out, nil
		}
		next = page.NextToken
	}
}
