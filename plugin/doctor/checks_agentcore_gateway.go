package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
)

// AgentCore Gateway check ids (a target named by --agentcore-gateway instead of a runtime).
const (
	IDAgentCoreGatewayReady = "runtime.agentcore-gateway"
)

// GatewayGetter reads an AgentCore Gateway (*bedrockagentcorecontrol.Client has it).
type GatewayGetter interface {
	GetGateway(ctx context.Context, in *bedrockagentcorecontrol.GetGatewayInput, optFns ...func(*bedrockagentcorecontrol.Options)) (*bedrockagentcorecontrol.GetGatewayOutput, error)
}

// gatewayTarget reports whether the AgentCore side is an AgentCore Gateway rather than a runtime.
func (d *Doctor) gatewayTarget() bool { return d.opts.AgentCoreGateway != "" && !d.opts.Offline }

// readAgentCoreGateway is GetGateway for Options.AgentCoreGateway (id or ARN), in the ARN's region when it
// names one.
func (d *Doctor) readAgentCoreGateway(ctx context.Context) (*bedrockagentcorecontrol.GetGatewayOutput, error) {
	if d.deps.AgentCore == nil {
		if d.deps.AWSErr != nil {
			return nil, d.deps.AWSErr
		}
		return nil, errors.New("no AWS configuration")
	}
	gg, ok := d.deps.AgentCore.(GatewayGetter)
	if !ok {
		return nil, errors.New("this AgentCore client cannot read gateways")
	}
	id, err := awsops.GatewayIDFrom(d.opts.AgentCoreGateway)
	if err != nil {
		return nil, err
	}
	region := ""
	if a, err := awsops.ParseGatewayARN(d.opts.AgentCoreGateway); err == nil {
		region = a.Region
	}
	out, err := gg.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String(id)}, func(o *bedrockagentcorecontrol.Options) {
		if region != "" && d.deps.Region != "" && region != d.deps.Region {
			o.Region = region // the gateway lives in the ARN's region
		}
	})
	if err != nil {
		return nil, awsops.Explain(err)
	}
	return out, nil
}

func (d *Doctor) agentCoreGatewayChecks() []Check {
	st := d.st
	return []Check{
		{ID: IDAgentCoreGatewayReady, Category: CatRuntime, Title: "AgentCore Gateway READY", Deps: []string{IDResourcesSetup}, Run: func(ctx context.Context) Outcome {
			g, err := st.agentCoreGateway.get(ctx)
			if err != nil {
				msg := err.Error()
				hint := "doctor reads the gateway with GetGateway (needs bedrock-agentcore:GetGateway)."
				if strings.Contains(msg, "ResourceNotFound") {
					hint = "No AgentCore Gateway with this id in the caller's account and region: check --agentcore-gateway (aws bedrock-agentcore-control list-gateways)."
				}
				return fail("GetGateway: "+msg, hint, "")
			}
			name := aws.ToString(g.Name)
			switch g.Status {
			case types.GatewayStatusReady:
				return pass("%s READY, protocol %s, MCP at %s", name, g.ProtocolType, aws.ToString(g.GatewayUrl))
			case types.GatewayStatusCreating, types.GatewayStatusUpdating:
				return warn(fmt.Sprintf("gateway %s is %s", name, g.Status), "Calls fail until it is READY; wait and re-run.", "")
			}
			return fail(fmt.Sprintf("gateway %s is %s: %s", name, g.Status, strings.Join(g.StatusReasons, "; ")),
				"Only a READY gateway answers MCP calls: fix what the status reasons name and update the gateway again.", "")
		}},
	}
}

// gatewayModeOutcome is authorizer.mode for an AgentCore Gateway whose authorizer type is not CUSTOM_JWT (nil =
// CUSTOM_JWT: the shared checks apply to its customJWTAuthorizer). sigv4 is a setup that signs with SigV4.
func gatewayModeOutcome(g *bedrockagentcorecontrol.GetGatewayOutput, sigv4 bool) *Outcome {
	name, id := aws.ToString(g.Name), aws.ToString(g.GatewayId)
	fix := "aws bedrock-agentcore-control get-gateway --gateway-identifier " + id + "  # then update-gateway with authorizerType CUSTOM_JWT, a customJWTAuthorizer and every other field it printed"
	hint := "UpdateGateway replaces the whole spec: send authorizerType CUSTOM_JWT with a customJWTAuthorizer (the issuer's discovery URL and allowed clients or audiences) and every other field as GetGateway prints it."
	var o Outcome
	switch g.AuthorizerType {
	case types.AuthorizerTypeCustomJwt:
		return nil
	case types.AuthorizerTypeAwsIam:
		if sigv4 {
			o = pass("AgentCore Gateway %s takes AWS_IAM (SigV4), as the sigv4 setup needs", name)
			return &o
		}
		o = fail(fmt.Sprintf("AgentCore Gateway %s has authorizer type AWS_IAM: it takes SigV4 only and refuses the bearer token Agent Gateway sends", name), hint, fix)
	case types.AuthorizerTypeNone:
		o = fail(fmt.Sprintf("AgentCore Gateway %s has authorizer type NONE: it checks no token, anyone who reaches its URL can call its tools", name), hint, fix)
	default:
		o = fail(fmt.Sprintf("AgentCore Gateway %s has authorizer type %q, which doctor does not know", name, g.AuthorizerType), hint, fix)
	}
	return &o
}
