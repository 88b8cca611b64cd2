package awsops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
)

func TestAuthorizerJSONRoundTrip(t *testing.T) {
	in := `{"customJWTAuthorizer":{"discoveryUrl":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration","allowedAudience":["c1","c2"],"customClaims":[{"inboundTokenClaimName":"dept","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueString":"eng"},"claimMatchOperator":"EQUALS"}}]}}`
	a, err := ParseAuthorizerJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := AuthorizerToJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"discoveryUrl":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/openid-configuration"`, `"allowedAudience":["c1","c2"]`, `"matchValueString":"eng"`, `"claimMatchOperator":"EQUALS"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("round trip lost %s: %s", want, out)
		}
	}
	if JWTConfig(a) == nil || aws.ToString(JWTConfig(a).DiscoveryUrl) == "" {
		t.Error("JWTConfig found no JWT authorizer")
	}
	// The whole get-agent-runtime answer is accepted too.
	b, err := ParseAuthorizerJSON([]byte(`{"agentRuntimeId":"x","authorizerConfiguration":` + in + `}`))
	if err != nil || !AuthorizerEqual(a, b) {
		t.Errorf("wrapped form: %v", err)
	}
	for _, iam := range []string{"", "null", "{}", " null\n", `{"authorizerConfiguration":null}`} {
		if a, err := ParseAuthorizerJSON([]byte(iam)); a != nil || err != nil {
			t.Errorf("%q = %v, %v; want IAM (nil)", iam, a, err)
		}
	}
	for _, bad := range []string{"[1]", `{"other":{}}`, `{"customJWTAuthorizer":{"allowedAudience":["a"]}}`, `{"customJWTAuthorizer":"x"}`, `{"a":1,"b":2}`} {
		if _, err := ParseAuthorizerJSON([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if j, _ := AuthorizerToJSON(nil); string(j) != "null" {
		t.Errorf("nil → %s", j)
	}
}

// WithUnmanaged keeps every setting the plugin does not decide, takes the four it does from desired, and leaves
// IAM-only on either side as desired says.
func TestWithUnmanaged(t *testing.T) {
	lattice := &types.PrivateEndpointMemberSelfManagedLatticeResource{Value: &types.SelfManagedLatticeResourceMemberResourceConfigurationIdentifier{Value: "rcfg-1"}}
	current := &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String("https://old/.well-known/openid-configuration"), AllowedAudience: []string{"old"}, AllowedClients: []string{"old-client"},
		AllowedScopes: []string{"old.scope"}, PrivateEndpoint: lattice, AdvertisedScopeMapping: map[string]string{"old.scope": "api://old/.default"},
		PrivateEndpointOverrides:     []types.PrivateEndpointOverride{{Domain: aws.String("keys.internal"), PrivateEndpoint: lattice}},
		AllowedWorkloadConfiguration: &types.AllowedWorkloadConfiguration{WorkloadIdentities: []string{"gw-1"}},
		CustomClaims: []types.CustomClaimValidationType{{InboundTokenClaimName: aws.String("dept"), InboundTokenClaimValueType: types.InboundTokenClaimValueTypeString,
			AuthorizingClaimMatchValue: &types.AuthorizingClaimMatchValueType{ClaimMatchOperator: types.ClaimMatchOperatorTypeEquals,
				ClaimMatchValue: &types.ClaimMatchValueTypeMemberMatchValueString{Value: "eng"}}}},
	}}
	desired := CognitoAuthorizer("https://new", "c1")

	got := JWTConfig(WithUnmanaged(current, desired))
	cur := JWTConfig(current)
	want := *cur
	want.DiscoveryUrl, want.AllowedAudience, want.AllowedClients, want.AllowedScopes = aws.String("https://new/.well-known/openid-configuration"), []string{"c1"}, nil, nil
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("got %+v\nwant %+v", *got, want)
	}
	if names := UnmanagedSettings(current); !reflect.DeepEqual(names, []string{"advertisedScopeMapping", "allowedWorkloadConfiguration", "customClaims", "privateEndpoint", "privateEndpointOverrides"}) {
		t.Errorf("UnmanagedSettings = %v", names)
	}
	if names := UnmanagedSettings(desired); names != nil {
		t.Errorf("a record-only authorizer has no unmanaged settings: %v", names)
	}
	if WithUnmanaged(current, nil) != nil {
		t.Error("IAM only wanted: nothing kept")
	}
	if a := WithUnmanaged(nil, desired); a != desired {
		t.Error("IAM only now: desired as it is")
	}
	if cur.DiscoveryUrl == nil || *cur.DiscoveryUrl != "https://old/.well-known/openid-configuration" || cur.AllowedAudience[0] != "old" {
		t.Error("current was changed")
	}
}

func TestAuthorizerEqual(t *testing.T) {
	a := CognitoAuthorizer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A", "c1")
	b := CognitoAuthorizer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A/", "c1")
	if !AuthorizerEqual(a, b) {
		t.Error("trailing slash on the issuer changed the discovery URL")
	}
	ja, jb := JWTConfig(a), JWTConfig(b)
	ja.AllowedAudience = []string{"c1", "c2"}
	jb.AllowedAudience = []string{"c2", "c1"}
	if !AuthorizerEqual(a, b) {
		t.Error("audience order matters")
	}
	jb.AllowedClients = []string{"c1"}
	if AuthorizerEqual(a, b) {
		t.Error("allowedClients ignored")
	}
	if AuthorizerEqual(a, nil) || !AuthorizerEqual(nil, nil) {
		t.Error("nil handling")
	}
}

// fillAll sets every exported field reachable from v to a non-zero value (interfaces are left to the caller).
func fillAll(v reflect.Value) { fill(v, 0) }

func fill(v reflect.Value, depth int) {
	if depth > 6 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeOf(&time.Time{}) {
			now := time.Now()
			v.Set(reflect.ValueOf(&now))
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Now()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(1.5)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// Every field of UpdateAgentRuntimeInput must be copied from GetAgentRuntimeOutput or be listed in
// UpdateFieldsNotFromGet with a reason. When an SDK upgrade adds a field, this test fails until it is handled.
func TestUpdateInputFromGetCopiesEveryField(t *testing.T) {
	g := &bedrockagentcorecontrol.GetAgentRuntimeOutput{}
	fillAll(reflect.ValueOf(g).Elem())
	// Unions (interfaces) need concrete members; a new union field fails below until a sample is added here.
	g.AgentRuntimeArtifact = &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("img")}}
	g.AuthorizerConfiguration = CognitoAuthorizer("https://issuer", "c")
	g.RequestHeaderConfiguration = &types.RequestHeaderConfigurationMemberRequestHeaderAllowlist{Value: []string{"X-A"}}
	g.AllowedPorts = []types.AllowedPort{&types.AllowedPortMemberPort{Value: 8080}}
	g.FilesystemConfigurations = []types.FilesystemConfiguration{&types.FilesystemConfigurationMemberSessionStorage{}}
	in := UpdateInputFromGet(g)
	checkCopiesEveryField(t, in, g, UpdateFieldsNotFromGet, "UpdateFieldsNotFromGet", "AgentRuntimeId")
	if aws.ToString(in.AgentRuntimeId) != "x" {
		t.Errorf("AgentRuntimeId = %q", aws.ToString(in.AgentRuntimeId))
	}
}

// checkCopiesEveryField is the rule of both update inputs (runtimes and gateways): every exported field of in,
// made from get, is listed in skip (named skipName) with a reason, or has a same-named, same-typed field in get and
// holds get's value. A field get has is skipped only when it is label, the path label set from the id.
func checkCopiesEveryField(t *testing.T, in, get any, skip map[string]string, skipName, label string) {
	t.Helper()
	iv, gv := reflect.ValueOf(in).Elem(), reflect.ValueOf(get).Elem()
	inName, getName := iv.Type().Name(), gv.Type().Name()
	for i := 0; i < iv.NumField(); i++ {
		f := iv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if why, ok := skip[f.Name]; ok {
			if why == "" {
				t.Errorf("%s is excluded without a reason", f.Name)
			}
			if _, has := gv.Type().FieldByName(f.Name); has && f.Name != label {
				t.Errorf("%s is excluded (%s) but %s has it now: copy it", f.Name, why, getName)
			}
			continue
		}
		gf, ok := gv.Type().FieldByName(f.Name)
		if !ok || !gf.Type.AssignableTo(f.Type) {
			t.Errorf("%s.%s has no same-typed field in %s: copy it by hand or list it in %s", inName, f.Name, getName, skipName)
			continue
		}
		if iv.Field(i).IsZero() {
			t.Errorf("%s.%s was not copied (is it an interface without a sample value in this test?)", inName, f.Name)
			continue
		}
		if !reflect.DeepEqual(iv.Field(i).Interface(), gv.FieldByIndex(gf.Index).Interface()) {
			t.Errorf("%s.%s differs from the Get value", inName, f.Name)
		}
	}
}

// fullSpec is a runtime with every commonly used setting.
func fullSpec(name string) *bedrockagentcorecontrol.CreateAgentRuntimeInput {
	return &bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:           aws.String(name),
		AgentRuntimeArtifact:       &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:v7")}},
		RoleArn:                    aws.String("arn:aws:iam::123456789012:role/AgentRuntimeRole"),
		NetworkConfiguration:       &types.NetworkConfiguration{NetworkMode: types.NetworkModeVpc, NetworkModeConfig: &types.VpcConfig{Subnets: []string{"subnet-1", "subnet-2"}, SecurityGroups: []string{"sg-1"}}},
		ProtocolConfiguration:      &types.ProtocolConfiguration{ServerProtocol: types.ServerProtocolHttp},
		LifecycleConfiguration:     &types.LifecycleConfiguration{IdleRuntimeSessionTimeout: aws.Int32(600), MaxLifetime: aws.Int32(7200)},
		EnvironmentVariables:       map[string]string{"LOG_LEVEL": "debug", "MODEL": "claude"},
		RequestHeaderConfiguration: &types.RequestHeaderConfigurationMemberRequestHeaderAllowlist{Value: []string{"X-Tenant", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Trace"}},
		Description:                aws.String("payments agent"),
	}
}

func newFake(t *testing.T) (*fakeagentcore.Server, *AgentCore) {
	t.Helper()
	f := agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: 30 * time.Millisecond})
	ac := NewAgentCore(f.AWSConfig(f.URL))
	ac.PollInterval = 10 * time.Millisecond
	ac.WaitTimeout = 30 * time.Second
	return f, ac
}

func specWithout(m map[string]json.RawMessage, key string) string {
	// Values are decoded so that map key order on the wire (random for environmentVariables) does not matter.
	c := map[string]any{}
	for k, v := range m {
		if k != key {
			var x any
			_ = json.Unmarshal(v, &x)
			c[k] = x
		}
	}
	b, _ := json.Marshal(c)
	return string(b)
}

func TestSetAuthorizerPreservesEverySetting(t *testing.T) {
	f, ac := newFake(t)
	ctx := context.Background()
	rt, err := f.AddRuntime(fullSpec("payments_agent"))
	if err != nil {
		t.Fatal(err)
	}
	before, err := ac.GetRuntime(ctx, rt.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if before.AuthorizerConfiguration != nil {
		t.Fatal("seeded runtime already has an authorizer")
	}
	specBefore := f.Spec(rt.ID)
	var seen []string
	auth := CognitoAuthorizer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool", "client-1")
	res, err := ac.SetAuthorizer(ctx, rt.ID, auth, SetOptions{Progress: func(s string, _ time.Duration) { seen = append(seen, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Previous != nil || string(res.Runtime.Status) != StatusReady {
		t.Fatalf("result: changed %v previous %v status %s", res.Changed, res.Previous, res.Runtime.Status)
	}
	if len(seen) == 0 || seen[len(seen)-1] != StatusReady {
		t.Errorf("progress saw %v", seen)
	}
	after, err := ac.GetRuntime(ctx, rt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !AuthorizerEqual(after.AuthorizerConfiguration, auth) {
		t.Error("authorizer not set")
	}
	// Through the SDK types: artifact, role, network, protocol, lifecycle, env, request headers, description.
	for name, pair := range map[string][2]any{
		"artifact":       {before.AgentRuntimeArtifact, after.AgentRuntimeArtifact},
		"role":           {before.RoleArn, after.RoleArn},
		"network":        {before.NetworkConfiguration, after.NetworkConfiguration},
		"protocol":       {before.ProtocolConfiguration, after.ProtocolConfiguration},
		"lifecycle":      {before.LifecycleConfiguration, after.LifecycleConfiguration},
		"env":            {before.EnvironmentVariables, after.EnvironmentVariables},
		"requestHeaders": {before.RequestHeaderConfiguration, after.RequestHeaderConfiguration},
		"description":    {before.Description, after.Description},
	} {
		if pair[0] == nil || reflect.ValueOf(pair[0]).IsZero() {
			t.Errorf("%s was not seeded", name)
		}
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s changed: %v → %v", name, pair[0], pair[1])
		}
	}
	// And on the wire: the stored spec is the same apart from the authorizer.
	if a, b := specWithout(specBefore, "authorizerConfiguration"), specWithout(f.Spec(rt.ID), "authorizerConfiguration"); a != b {
		t.Errorf("stored spec changed:\n%s\n%s", a, b)
	}

	// Already equal: nothing is sent.
	res, err = ac.SetAuthorizer(ctx, rt.ID, CognitoAuthorizer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/", "client-1"), SetOptions{})
	if err != nil || res.Changed || f.Updates(rt.ID) != 1 {
		t.Errorf("equal authorizer: changed %v, updates %d, %v", res.Changed, f.Updates(rt.ID), err)
	}
	// Back to IAM (teardown restore): authorizer gone, everything else kept.
	res, err = ac.SetAuthorizer(ctx, rt.ARN, nil, SetOptions{})
	if err != nil || !res.Changed || !AuthorizerEqual(res.Previous, auth) {
		t.Fatalf("restore IAM: %v %v", res.Changed, err)
	}
	if _, has := f.Spec(rt.ID)["authorizerConfiguration"]; has {
		t.Error("authorizer still set after restore")
	}
	if a, b := specWithout(specBefore, "authorizerConfiguration"), specWithout(f.Spec(rt.ID), ""); a != b {
		t.Errorf("restore changed the spec:\n%s\n%s", a, b)
	}
}

// The fake is faithful: an update that omits optional fields resets them (so the test above means something),
// and one missing a required field is rejected with a ValidationException.
func TestFakeUpdateSemantics(t *testing.T) {
	f, ac := newFake(t)
	ctx := context.Background()
	rt, err := f.AddRuntime(fullSpec("reset_agent"))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := ac.GetRuntime(ctx, rt.ID)
	// Network configuration left out: the SDK does not check it client-side, the service does.
	_, err = ac.API.UpdateAgentRuntime(ctx, &bedrockagentcorecontrol.UpdateAgentRuntimeInput{
		AgentRuntimeId: aws.String(rt.ID), AgentRuntimeArtifact: g.AgentRuntimeArtifact, RoleArn: g.RoleArn,
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !strings.Contains(ae.ErrorMessage(), "networkConfiguration") {
		t.Fatalf("update without networkConfiguration: %v", err)
	}
	if msg := ExplainAgentCore(err).Error(); !strings.Contains(msg, "ValidationException") || !strings.Contains(msg, "networkConfiguration") {
		t.Errorf("explained: %s", msg)
	}
	if f.Updates(rt.ID) != 0 {
		t.Error("a rejected update changed the runtime")
	}
	// Only the required fields: the optional ones are reset, like the real service.
	if _, err := ac.API.UpdateAgentRuntime(ctx, &bedrockagentcorecontrol.UpdateAgentRuntimeInput{
		AgentRuntimeId: aws.String(rt.ID), AgentRuntimeArtifact: g.AgentRuntimeArtifact, RoleArn: g.RoleArn, NetworkConfiguration: g.NetworkConfiguration,
	}); err != nil {
		t.Fatal(err)
	}
	after, err := ac.WaitReady(ctx, rt.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after.EnvironmentVariables != nil || after.LifecycleConfiguration != nil || after.RequestHeaderConfiguration != nil || after.Description != nil {
		t.Error("omitted optional fields were not reset")
	}
	// Authorization may be allowlisted only with a JWT authorizer.
	in := UpdateInputFromGet(after)
	in.RequestHeaderConfiguration = &types.RequestHeaderConfigurationMemberRequestHeaderAllowlist{Value: []string{"Authorization"}}
	if _, err := ac.API.UpdateAgentRuntime(ctx, in); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("Authorization allowlisted on an IAM runtime: %v", err)
	}
	// A bare issuer as discovery URL is rejected (the pattern needs /.well-known/openid-configuration).
	_, err = ac.SetAuthorizer(ctx, rt.ID, &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool"), AllowedAudience: []string{"c"}}}, SetOptions{})
	if err == nil || !strings.Contains(err.Error(), "openid-configuration") {
		t.Errorf("bare issuer: %v", err)
	}
}

func TestSetAuthorizerUpdateFailed(t *testing.T) {
	f, ac := newFake(t)
	rt, _ := f.AddRuntime(fullSpec("failing_agent"))
	if err := f.FailNextUpdate(rt.ID, "Role arn:aws:iam::123456789012:role/AgentRuntimeRole cannot be assumed"); err != nil {
		t.Fatal(err)
	}
	_, err := ac.SetAuthorizer(context.Background(), rt.ID, CognitoAuthorizer("https://i", "c"), SetOptions{})
	var uf *UpdateFailedError
	if !errors.As(err, &uf) || uf.Status != StatusUpdateFailed || !strings.Contains(err.Error(), "cannot be assumed") {
		t.Fatalf("want UPDATE_FAILED with the reason, got %v", err)
	}
	// The next update goes through again.
	if _, err := ac.SetAuthorizer(context.Background(), rt.ID, CognitoAuthorizer("https://i2", "c"), SetOptions{}); err != nil {
		t.Errorf("after a failure: %v", err)
	}
}

func TestWaitReadyTimeoutNamesLastStatus(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: time.Hour})
	ac := NewAgentCore(f.AWSConfig(f.URL))
	ac.PollInterval, ac.WaitTimeout = 10*time.Millisecond, 150*time.Millisecond
	rt, _ := f.AddRuntime(fullSpec("slow_agent"))
	_, err := ac.SetAuthorizer(context.Background(), rt.ID, CognitoAuthorizer("https://i", "c"), SetOptions{})
	var wt *WaitTimeoutError
	if !errors.As(err, &wt) || wt.LastStatus != StatusUpdating || !strings.Contains(err.Error(), "last status UPDATING") {
		t.Fatalf("want a timeout naming UPDATING, got %v", err)
	}
	// A second change while UPDATING is a ConflictException, explained.
	in := &bedrockagentcorecontrol.UpdateAgentRuntimeInput{AgentRuntimeId: aws.String(rt.ID), AgentRuntimeArtifact: fullSpec("x").AgentRuntimeArtifact, RoleArn: fullSpec("x").RoleArn, NetworkConfiguration: fullSpec("x").NetworkConfiguration}
	_, err = ac.API.UpdateAgentRuntime(context.Background(), in)
	if msg := ExplainAgentCore(err).Error(); !strings.Contains(msg, "ConflictException") || !strings.Contains(msg, "wait until it is READY") {
		t.Errorf("conflict: %s", msg)
	}
}

func TestListRuntimesPaginatesAndReadsAuthorizers(t *testing.T) {
	f, ac := newFake(t)
	for i := 0; i < 23; i++ {
		if _, err := f.AddRuntime(fullSpec(fmt.Sprintf("agent_%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	rts := f.Runtimes()
	if err := f.SetAuthorizerJSON(rts[5].ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"https://i/.well-known/openid-configuration","allowedClients":["c"]}}`)); err != nil {
		t.Fatal(err)
	}
	got, err := ac.ListRuntimes(context.Background(), ListOptions{PageSize: 10, WithAuthorizers: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 23 || f.Calls("ListAgentRuntimes") != 3 {
		t.Fatalf("%d runtimes in %d calls, want 23 in 3", len(got), f.Calls("ListAgentRuntimes"))
	}
	for i, r := range got {
		if r.ID != rts[i].ID || r.ARN != rts[i].ARN || r.Name != rts[i].Name || r.Status != StatusReady || r.Description != "payments agent" {
			t.Errorf("runtime %d = %+v", i, r)
		}
		want := "iam"
		if i == 5 {
			want = "jwt"
		}
		if r.AuthorizerMode() != want {
			t.Errorf("runtime %d mode %q, want %s", i, r.AuthorizerMode(), want)
		}
		if _, err := ParseRuntimeARN(r.ARN); err != nil {
			t.Errorf("fake ARN invalid: %v", err)
		}
	}
	b, err := json.Marshal(got[5])
	if err != nil || !strings.Contains(string(b), `"authorizerMode":"jwt","authorizer":{"customJWTAuthorizer":{`) || !strings.Contains(string(b), `"allowedClients":["c"]`) {
		t.Errorf("JSON of a JWT runtime: %s %v", b, err)
	}
	if b, _ := json.Marshal(got[0]); !strings.Contains(string(b), `"authorizerMode":"iam","authorizer":null`) {
		t.Errorf("JSON of an IAM runtime: %s", b)
	}
	plain, err := ac.ListRuntimes(context.Background(), ListOptions{})
	if err != nil || len(plain) != 23 || plain[0].AuthorizerMode() != "" {
		t.Errorf("without authorizers: %d %v", len(plain), err)
	}
}

func TestAgentCoreErrorsExplained(t *testing.T) {
	f, ac := newFake(t)
	ctx := context.Background()
	_, err := ac.GetRuntime(ctx, "missing_agent-abcdefghij")
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") || !strings.Contains(err.Error(), "--region") {
		t.Errorf("not found: %v", err)
	}
	if _, err := ac.GetRuntime(ctx, "not an id"); err == nil || !strings.Contains(err.Error(), "invalid runtime id") {
		t.Errorf("bad id: %v", err)
	}
	// Expired credentials.
	f.ExpireCredentials("AKIDFAKEAGENTCORE")
	_, err = ac.ListRuntimes(ctx, ListOptions{})
	if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "ExpiredToken") {
		t.Errorf("expired credentials: %v", err)
	}
	// No credentials at all (what the default chain says when it finds none).
	cfg := f.AWSConfig(f.URL)
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("failed to refresh cached credentials, no EC2 IMDS role found")
	})
	_, err = NewAgentCore(cfg).GetRuntime(ctx, "some_agent-abcdefghij")
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials found") {
		t.Errorf("no credentials: %v", err)
	}
	for code, want := range map[string]string{
		"AccessDeniedException":         "UpdateAgentRuntime",
		"ThrottlingException":           "Retry",
		"ServiceQuotaExceededException": "quota",
		"ConflictException":             "READY",
		"ValidationException":           "ValidationException",
		"ResourceNotFoundException":     "--region",
	} {
		err := ExplainAgentCore(&smithy.GenericAPIError{Code: code, Message: "m"})
		var ae smithy.APIError
		if !strings.Contains(err.Error(), want) || !errors.As(err, &ae) {
			t.Errorf("%s → %s", code, err)
		}
	}
}

func TestRuntimeIDFrom(t *testing.T) {
	for in, want := range map[string]string{
		"payments_agent-Ab12Cd34Ef": "payments_agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef": "payments_agent-Ab12Cd34Ef",
	} {
		if got, err := RuntimeIDFrom(in); err != nil || got != want {
			t.Errorf("%s → %s, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "payments-agent", "arn:aws:s3:::bucket"} {
		if _, err := RuntimeIDFrom(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

var _ = http.StatusOK
