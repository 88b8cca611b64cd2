package awsops

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
)

// Every field of UpdateGatewayInput is copied from GetGatewayOutput or listed with a reason.
func TestUpdateGatewayInputFromGetCopiesEveryField(t *testing.T) {
	g := &bedrockagentcorecontrol.GetGatewayOutput{}
	fillAll(reflect.ValueOf(g).Elem())
	g.AuthorizerConfiguration = CognitoAuthorizer("https://issuer", "c")
	g.ProtocolConfiguration = &types.GatewayProtocolConfigurationMemberMcp{Value: types.MCPGatewayConfiguration{SupportedVersions: []string{"2025-06-18"}}}
	in := UpdateGatewayInputFromGet(g)
	checkCopiesEveryField(t, in, g, GatewayUpdateFieldsNotFromGet, "GatewayUpdateFieldsNotFromGet", "GatewayIdentifier")
	if aws.ToString(in.GatewayIdentifier) != aws.ToString(g.GatewayId) {
		t.Errorf("GatewayIdentifier = %q, want the gateway id %q", aws.ToString(in.GatewayIdentifier), aws.ToString(g.GatewayId))
	}
}

func TestParseGatewayARN(t *testing.T) {
	a, err := ParseGatewayARN("arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/tools-gw-abcdef0123")
	if err != nil || a.GatewayID != "tools-gw-abcdef0123" || a.Region != "eu-west-1" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{"arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/x-abcdef0123", "arn:aws:bedrock-agentcore:eu-west-1:1234:gateway/tools-gw-abcdef0123", "tools"} {
		if _, err := GatewayIDFrom(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := GatewayMCPURL("tools-gw-abcdef0123", "us-east-1"); got != "https://tools-gw-abcdef0123.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp" {
		t.Errorf("url %s", got)
	}
}

// SetGatewayAuthorizer: Get → change → Update with every other field kept, READY awaited; a NONE gateway is
// changed only when confirmed; an equal authorizer sends nothing.
func TestSetGatewayAuthorizer(t *testing.T) {
	f, ac := newFake(t)
	g, err := f.AddGatewayJSON([]byte(`{"name":"tools-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"NONE",
		"description":"tools for agents","exceptionLevel":"DEBUG","kmsKeyArn":"arn:aws:kms:us-east-1:123456789012:key/k1",
		"protocolConfiguration":{"mcp":{"supportedVersions":["2025-06-18"],"searchType":"SEMANTIC"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	before := f.GatewaySpec(g.ID)
	ctx := context.Background()
	az := CognitoAuthorizer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "client1")
	_, err = ac.SetGatewayAuthorizer(ctx, g.ARN, az, SetGatewayOptions{})
	var tc *GatewayTypeChangeError
	if !errors.As(err, &tc) || !errors.Is(err, ErrGatewayTypeChange) || tc.From != "NONE" || !strings.Contains(err.Error(), "tools-gw") {
		t.Fatalf("unconfirmed NONE → %v", err)
	}
	if f.GatewayUpdates(g.ID) != 0 {
		t.Fatal("an unconfirmed change was sent")
	}
	var statuses []string
	res, err := ac.SetGatewayAuthorizer(ctx, g.ID, az, SetGatewayOptions{ConfirmTypeChange: true, Progress: func(s string, _ time.Duration) { statuses = append(statuses, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.PreviousType != types.AuthorizerTypeNone || res.Gateway.Status != types.GatewayStatusReady || res.Gateway.AuthorizerType != types.AuthorizerTypeCustomJwt {
		t.Fatalf("result %+v", res)
	}
	if len(statuses) == 0 || statuses[len(statuses)-1] != "READY" {
		t.Errorf("progress %v, want it to end in READY", statuses)
	}
	after := f.GatewaySpec(g.ID)
	for _, k := range []string{"description", "exceptionLevel", "kmsKeyArn", "roleArn", "protocolType", "protocolConfiguration", "name"} {
		if !jsonEqual(before[k], after[k]) {
			t.Errorf("%s changed: %s → %s", k, before[k], after[k])
		}
	}
	if !strings.Contains(string(after["authorizerConfiguration"]), "client1") || string(after["authorizerType"]) != `"CUSTOM_JWT"` {
		t.Errorf("authorizer not set: %s %s", after["authorizerType"], after["authorizerConfiguration"])
	}
	res, err = ac.SetGatewayAuthorizer(ctx, g.ID, az, SetGatewayOptions{})
	if err != nil || res.Changed || f.GatewayUpdates(g.ID) != 1 {
		t.Fatalf("second call: %+v %v (updates %d)", res, err, f.GatewayUpdates(g.ID))
	}
	gws, err := ac.ListGateways(ctx)
	if err != nil || len(gws) != 1 || aws.ToString(gws[0].GatewayId) != g.ID {
		t.Fatalf("list %+v %v", gws, err)
	}
	if _, err := ac.GetGateway(ctx, "missing-gw-0000000000"); err == nil || !strings.Contains(err.Error(), "missing-gw-0000000000") {
		t.Fatalf("missing gateway: %v", err)
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return reflect.DeepEqual(x, y)
}

// A gateway that stays UPDATING times out with gateway words and the gateway's own CLI command, not a runtime's.
func TestWaitGatewayReadyTimeoutNamesTheGateway(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: time.Hour})
	ac := NewAgentCore(f.AWSConfig(f.URL))
	ac.PollInterval, ac.WaitTimeout = 10*time.Millisecond, 150*time.Millisecond
	g, err := f.AddGatewayJSON([]byte(`{"name":"slow-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"NONE"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ac.SetGatewayAuthorizer(context.Background(), g.ID, CognitoAuthorizer("https://i", "c"), SetGatewayOptions{ConfirmTypeChange: true})
	var wt *WaitTimeoutError
	if !errors.As(err, &wt) || wt.LastStatus != "UPDATING" {
		t.Fatalf("want a timeout naming UPDATING, got %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "gateway "+g.ID+" not READY") || !strings.Contains(msg, "get-gateway --gateway-identifier "+g.ID) || strings.Contains(msg, "runtime") {
		t.Errorf("message: %s", msg)
	}
}
