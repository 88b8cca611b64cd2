package fakeagentcore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/agentproto"
)

func jwtGatewayAuth(discovery string, aud ...string) types.AuthorizerConfiguration {
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String(discovery), AllowedAudience: aud}}
}

func waitGatewayReady(t *testing.T, c *bedrockagentcorecontrol.Client, id string) *bedrockagentcorecontrol.GetGatewayOutput {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := c.GetGateway(context.Background(), &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if g.Status == types.GatewayStatusReady {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s still %s", id, g.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The gateway control plane through the real SDK client: create, get, update replacing the spec, list paging and
// the documented errors.
func TestGatewayControlPlane(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{DefaultPageSize: 2})
	c := bedrockagentcorecontrol.NewFromConfig(f.AWSConfig(f.URL))
	ctx := context.Background()
	p := newIDP(t)
	out, err := c.CreateGateway(ctx, &bedrockagentcorecontrol.CreateGatewayInput{
		Name: aws.String("tools-gw"), RoleArn: aws.String("arn:aws:iam::123456789012:role/gw"), ProtocolType: types.GatewayProtocolTypeMcp,
		AuthorizerType: types.AuthorizerTypeCustomJwt, AuthorizerConfiguration: jwtGatewayAuth(p.discovery(), "aud1"),
		Description: aws.String("tools"), ExceptionLevel: types.ExceptionLevelDebug,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.GatewayId)
	if !strings.HasPrefix(id, "tools-gw-") || aws.ToString(out.GatewayArn) != "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/"+id {
		t.Fatalf("create = %s %s", id, aws.ToString(out.GatewayArn))
	}
	g := waitGatewayReady(t, c, id)
	if aws.ToString(g.GatewayUrl) != fakeagentcore.GatewayURL(f.URL, id) || g.AuthorizerType != types.AuthorizerTypeCustomJwt || aws.ToString(g.Description) != "tools" || g.ExceptionLevel != types.ExceptionLevelDebug {
		t.Fatalf("get = %+v", g)
	}
	// GetGateway by ARN too.
	if _, err := c.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: g.GatewayArn}); err != nil {
		t.Fatalf("get by ARN: %v", err)
	}
	// UpdateGateway replaces the spec: the description left out is gone.
	if _, err := c.UpdateGateway(ctx, &bedrockagentcorecontrol.UpdateGatewayInput{GatewayIdentifier: aws.String(id), Name: aws.String("tools-gw"),
		RoleArn: g.RoleArn, ProtocolType: types.GatewayProtocolTypeMcp, AuthorizerType: types.AuthorizerTypeNone}); err != nil {
		t.Fatal(err)
	}
	// A second update while UPDATING is a ConflictException.
	_, err = c.UpdateGateway(ctx, &bedrockagentcorecontrol.UpdateGatewayInput{GatewayIdentifier: aws.String(id), Name: aws.String("tools-gw"),
		RoleArn: g.RoleArn, AuthorizerType: types.AuthorizerTypeNone})
	var conflict *types.ConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("update while UPDATING = %v, want ConflictException", err)
	}
	g = waitGatewayReady(t, c, id)
	if g.Description != nil || g.AuthorizerConfiguration != nil || g.AuthorizerType != types.AuthorizerTypeNone || f.GatewayUpdates(id) != 1 {
		t.Fatalf("after update = %+v", g)
	}
	for _, in := range []*bedrockagentcorecontrol.CreateGatewayInput{
		{Name: aws.String("a"), RoleArn: aws.String("arn:aws:iam::123456789012:role/gw"), ProtocolType: types.GatewayProtocolTypeMcp, AuthorizerType: types.AuthorizerTypeAwsIam},
		{Name: aws.String("b"), RoleArn: aws.String("arn:aws:iam::123456789012:role/gw"), ProtocolType: types.GatewayProtocolTypeMcp, AuthorizerType: types.AuthorizerTypeNone},
	} {
		if _, err := c.CreateGateway(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pg := bedrockagentcorecontrol.NewListGatewaysPaginator(c, &bedrockagentcorecontrol.ListGatewaysInput{})
	pages := 0
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			names = append(names, aws.ToString(it.Name)+"="+string(it.AuthorizerType))
		}
	}
	if strings.Join(names, ",") != "tools-gw=NONE,a=AWS_IAM,b=NONE" || pages != 2 {
		t.Fatalf("list = %v in %d pages", names, pages)
	}
	// Errors with the SDK's types.
	_, err = c.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String("nope-0000000000")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("get missing = %v", err)
	}
	_, err = c.CreateGateway(ctx, &bedrockagentcorecontrol.CreateGatewayInput{Name: aws.String("c"), RoleArn: aws.String("arn:aws:iam::123456789012:role/gw"),
		ProtocolType: types.GatewayProtocolTypeMcp, AuthorizerType: types.AuthorizerTypeCustomJwt,
		AuthorizerConfiguration: jwtGatewayAuth("https://idp.example.com", "x")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "openid-configuration") {
		t.Fatalf("bare issuer = %v", err)
	}
	_, err = c.CreateGateway(ctx, &bedrockagentcorecontrol.CreateGatewayInput{Name: aws.String("a"), RoleArn: aws.String("arn:aws:iam::123456789012:role/gw"),
		ProtocolType: types.GatewayProtocolTypeMcp, AuthorizerType: types.AuthorizerTypeNone})
	if !errors.As(err, &conflict) {
		t.Fatalf("duplicate name = %v", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ConflictException" {
		t.Fatalf("error code = %v", err)
	}
}

type bearer struct {
	tok  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return b.next.RoundTrip(r)
}

// The MCP data plane: initialize, tools/list, tools/call through the MCP SDK client, with the same bearer-token
// checks as the runtimes' data plane.
func TestGatewayMCP(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	p := newIDP(t)
	g, err := f.AddGatewayJSON([]byte(`{"name":"mcp-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"` + p.discovery() + `","allowedClients":["client-1"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	url := fakeagentcore.GatewayURL(f.URL, g.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	good := p.token(t, jwt.MapClaims{"client_id": "client-1", "token_use": "access"}, "k1")
	res, err := agentproto.DoMCP(ctx, &http.Client{Transport: bearer{good, http.DefaultTransport}}, agentproto.MCPRequest{URL: url, Tool: "add", Args: map[string]any{"a": 2, "b": 3.5}})
	if err != nil {
		t.Fatal(err)
	}
	var tools []string
	for _, tl := range res.Tools {
		tools = append(tools, tl.Name)
	}
	if strings.Join(tools, ",") != "add,echo,reverse" || res.Call == nil || res.Call.IsError || !strings.Contains(strings.Join(res.Call.Text, ""), "5.5") {
		t.Fatalf("result %+v (call %+v)", res, res.Call)
	}
	if res.SessionID == "" || res.ProtocolVersion == "" {
		t.Fatalf("no session or version: %+v", res)
	}

	// No token: 401 with resource_metadata, seen by the client as an HTTP error in initialize.
	_, err = agentproto.DoMCP(ctx, nil, agentproto.MCPRequest{URL: url})
	var he *agentproto.HTTPError
	var se *agentproto.StageError
	if !errors.As(err, &he) || !errors.As(err, &se) || he.Status != 401 || se.Stage != "initialize" ||
		!strings.Contains(he.Header.Get("WWW-Authenticate"), `resource_metadata="`+url+`/.well-known/oauth-protected-resource"`) {
		t.Fatalf("no token = %v (%+v)", err, he)
	}
	// A token for another client: 401 Claim 'client_id' value mismatch.
	other := p.token(t, jwt.MapClaims{"client_id": "client-2"}, "k1")
	_, err = agentproto.DoMCP(ctx, &http.Client{Transport: bearer{other, http.DefaultTransport}}, agentproto.MCPRequest{URL: url})
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(string(he.Body), fakeagentcore.ClaimMismatch("client_id")) {
		t.Fatalf("other client = %v (%+v)", err, he)
	}
	// An unknown tool is a JSON-RPC error (or a tool error result), not an HTTP failure.
	res, err = agentproto.DoMCP(ctx, &http.Client{Transport: bearer{good, http.DefaultTransport}}, agentproto.MCPRequest{URL: url, Tool: "nope", SkipList: true})
	var re *agentproto.RPCError
	if err == nil && (res.Call == nil || !res.Call.IsError) || err != nil && !errors.As(err, &re) {
		t.Fatalf("unknown tool = %v, %+v", err, res)
	}
	// Authorizer NONE: no token needed.
	if err := f.SetGatewayAuthorizer(g.ID, fakeagentcore.GatewayAuthNone, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := agentproto.DoMCP(ctx, nil, agentproto.MCPRequest{URL: url}); err != nil {
		t.Fatalf("NONE gateway: %v", err)
	}
	// AWS_IAM: a bearer token is the wrong method (403).
	if err := f.SetGatewayAuthorizer(g.ID, fakeagentcore.GatewayAuthIAM, nil); err != nil {
		t.Fatal(err)
	}
	_, err = agentproto.DoMCP(ctx, &http.Client{Transport: bearer{good, http.DefaultTransport}}, agentproto.MCPRequest{URL: url})
	if !errors.As(err, &he) || he.Status != 403 || !strings.Contains(string(he.Body), fakeagentcore.MsgMethodMismatch) {
		t.Fatalf("IAM gateway with a bearer token = %v", err)
	}
}
