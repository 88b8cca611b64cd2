package doctor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
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

// RecordTarget returns o with AgentCoreGateway taken from the setup record when o names no target of its own (no
// --route, --runtime-arn or --agentcore-gateway) and the record's target is an AgentCore Gateway, so a doctor run
// without flags on a gateway setup checks the gateway. The record found is kept in o.Record (its mode plans the
// caller and exchange checks). A record that cannot be read leaves o as it is (the resources.setup check reports
// why).
func RecordTarget(ctx context.Context, kube kubernetes.Interface, o Options) Options {
	if o.Offline || kube == nil || o.AgentCoreGateway != "" || o.RuntimeARN != "" || !o.Route.IsZero() {
		return o
	}
	rec, err := o.Record, error(nil)
	if rec == nil {
		rec, err = setup.Resolve(ctx, kube, o.Namespace)
	}
	if err == nil {
		o.AgentCoreGateway = rec.GatewayTarget()
		o.Record = rec // read once; its mode also plans the caller and exchange checks
	}
	return o
}

// ForRecord returns o set to check rec, a record already read: the record itself (not looked up again), its
// namespace and its AgentCore side (rec.GatewayTarget(), as RecordTarget chooses). doctor --all, invoke and the
// wizard's test call take doctor's verdicts for a setup this way, so each checks what doctor checks.
func (o Options) ForRecord(rec *setup.Record) Options {
	o.Record, o.Namespace = rec, rec.Namespace
	o.AgentCoreGateway = rec.GatewayTarget()
	return o
}

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

// mcpURL is the AgentCore Gateway's MCP URL: GetGateway's gatewayUrl, else the setup record's, else the one
// AgentCore publishes for the id and the ARN's region.
func (st *state) mcpURL(ctx context.Context) (string, error) {
	if g, err := st.agentCoreGateway.get(ctx); err == nil && aws.ToString(g.GatewayUrl) != "" {
		return aws.ToString(g.GatewayUrl), nil
	}
	if t, err := st.target.get(ctx); err == nil && t.record != nil && t.record.MCPURL != "" {
		return t.record.MCPURL, nil
	}
	if a, err := awsops.ParseGatewayARN(st.d.opts.AgentCoreGateway); err == nil {
		return awsops.GatewayMCPURL(a.GatewayID, a.Region), nil
	}
	return "", fmt.Errorf("the MCP URL of AgentCore Gateway %s is unknown (GetGateway failed and the setup record has none)", st.d.opts.AgentCoreGateway)
}

// checkMCPRewrite is resources.rewrite for an AgentCore Gateway: the route rewrites the hostname to the MCP
// URL's host and the whole path to its path (ReplaceFullPath), the static backend sends to that host and port,
// and the backend policy uses TLS exactly when the URL is https.
func checkMCPRewrite(t *target, mcpURL string) Outcome {
	u, err := url.Parse(mcpURL)
	if err != nil || u.Hostname() == "" {
		return fail(fmt.Sprintf("the AgentCore Gateway's MCP URL %q does not parse", mcpURL), "", "")
	}
	wantHost, wantPath := u.Hostname(), u.EscapedPath()
	wantPort := int64(443)
	if u.Scheme == "http" {
		wantPort = 80
	}
	if p, err := strconv.ParseInt(u.Port(), 10, 64); err == nil {
		wantPort = p
	}
	var problems []string
	fix := ""
	rws := routeRewrites(t.route)
	if len(rws) == 0 {
		return fail(fmt.Sprintf("HTTPRoute %s has no URLRewrite filter", t.routeRef),
			"The route must rewrite the hostname to "+wantHost+" and the path to "+wantPath+" (the gateway's MCP endpoint); other paths are not MCP.",
			"kubectl agentcore wizard --agentcore-gateway "+t.agentCoreGateway())
	}
	for i, rw := range rws {
		patch := func(p, v string) string {
			b, _ := json.Marshal([]map[string]any{{"op": "replace", "path": fmt.Sprintf("/spec/rules/%d/filters/0/urlRewrite/%s", i, p), "value": v}})
			return fmt.Sprintf("kubectl patch httproute -n %s %s --type=json -p '%s'", t.routeRef.Namespace, t.routeRef.Name, b)
		}
		switch {
		case rw.pathType != "ReplaceFullPath":
			problems = append(problems, fmt.Sprintf("the route rewrites the path with %q, not ReplaceFullPath %s", rw.pathType, wantPath))
		case rw.path != wantPath:
			problems = append(problems, fmt.Sprintf("the route rewrites the path to %q, not the MCP path %s (the gateway answers MCP only there)", rw.path, wantPath))
			fix = cmp.Or(fix, patch("path/replaceFullPath", wantPath))
		}
		if rw.hostname != wantHost {
			problems = append(problems, fmt.Sprintf("the route rewrites the hostname to %s, not the gateway's %s", cmp.Or(rw.hostname, "(unchanged)"), wantHost))
			fix = cmp.Or(fix, patch("hostname", wantHost))
		}
	}
	for _, b := range t.backends {
		h, ok, _ := unstructured.NestedString(b.Object, "spec", "static", "host")
		if !ok {
			continue
		}
		port, _, _ := unstructured.NestedInt64(b.Object, "spec", "static", "port")
		if h != wantHost || port != wantPort {
			problems = append(problems, fmt.Sprintf("%s sends to %s:%d, not %s:%d", objRef(b), h, port, wantHost, wantPort))
			fix = cmp.Or(fix, fmt.Sprintf(`kubectl patch %s -n %s %s --type=merge -p '{"spec":{"static":{"host":"%s","port":%d}}}'`, strings.ToLower(b.GetKind()), b.GetNamespace(), b.GetName(), wantHost, wantPort))
		}
	}
	for _, p := range t.policies {
		if _, ok, _ := unstructured.NestedMap(p.Object, "spec", "backend"); !ok {
			continue
		}
		_, tls, _ := unstructured.NestedMap(p.Object, "spec", "backend", "tls")
		switch {
		case u.Scheme == "https" && !tls:
			problems = append(problems, fmt.Sprintf("%s has no backend.tls: the gateway's MCP URL is https", objRef(p)))
		case u.Scheme == "http" && tls:
			problems = append(problems, fmt.Sprintf("%s sets backend.tls but the MCP URL is http://", objRef(p)))
		}
	}
	if len(problems) > 0 {
		return fail(strings.Join(uniq(problems), "; "), "The route must send every request to the AgentCore Gateway's MCP URL "+mcpURL+".", fix)
	}
	return pass("rewrites to %s%s (the AgentCore Gateway's MCP URL)", wantHost, wantPath)
}

// agentCoreGateway is the gateway the target names (record or flag), for fix commands.
func (t *target) agentCoreGateway() string {
	if t.record != nil && t.record.AgentCoreGateway != "" {
		return t.record.AgentCoreGateway
	}
	return "ID"
}
