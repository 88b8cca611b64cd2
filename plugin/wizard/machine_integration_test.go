package wizard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/teardown"
	wz "github.com/kubectl-agentcore/kubectl-agentcore/plugin/wizard"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCognitoMachineClientLive: identity (b). The Cognito admin calls go through the real SDK to cognito-local and
// its front (internal/cognitoextra, a local fake for resource servers and domains); the domain's /oauth2/token
// protocol is played by the real OAuth server (oidc-provider) through --token-url, since cognito-local has no
// client-credentials grant. The app client is made beforehand (so the OAuth server can know its id and secret):
// the wizard finds it by id and enables client credentials on it, creates the resource server and the domain,
// stores the secret, sets allowedClients + allowedScopes, mints by client credentials (HTTP Basic) into the
// Secret. Teardown removes the domain and resource server it created and keeps the client it did not. A second
// setup whose client the wizard creates stops at the mint (the OAuth server does not know that client); its
// teardown removes that client, domain and resource server too.
func TestCognitoMachineClientLive(t *testing.T) {
	w := newWorld(t)
	rt := w.runtime(t, "machine_agent")
	env := w.env(w.c.Config)
	ctx := context.Background()
	api := cip.NewFromConfig(w.cogCfg)
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("pool-machine")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	pre, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("pre-made"), GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	clientID, secret := aws.ToString(pre.UserPoolClient.ClientId), aws.ToString(pre.UserPoolClient.ClientSecret)
	idp := oidcservertest.Start(t, oidcserver.Options{Resources: map[string]string{"urn:agentcore": "agentcore/invoke"}, DefaultResource: "urn:agentcore",
		Clients: []oidcserver.Client{{ID: clientID, Secret: secret}}})

	ns := "wiz-m2m-" + w.gwNS
	a := wz.Answers{Gateway: w.gwNS + "/agentgateway-proxy", RuntimeARN: rt.ARN, RouteNamespace: ns, Identity: wz.IdentityCognitoMachine,
		UserPoolName: "pool-machine", ClientID: clientID, TokenURL: idp.TokenURL()}
	first, err := run(t, env, a)
	if err != nil {
		t.Fatalf("wizard: %v", err)
	}
	for _, it := range first.plan.Items {
		if it.Step == wz.StepIdentity && it.Kind == "aws" {
			t.Logf("plan: %s %s %s", it.Action, it.Target, it.Detail)
		}
	}
	rec, err := setup.Load(ctx, env.Kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	wantDomain := awsops.DomainPrefix("pool-machine", poolID)
	if rec.IdentityProvider != setup.IdPCognitoMachine || rec.UserPoolID != poolID || rec.ClientID != clientID || rec.Domain != wantDomain ||
		!rec.CreatedDomain || !rec.CreatedResourceServer || rec.CreatedClient || rec.CreatedUserPool || rec.TokenURL != idp.TokenURL() ||
		strings.Join(rec.TokenScopes, " ") != "agentcore/invoke" || !rec.ClientCredentials() {
		t.Fatalf("record: %+v", rec)
	}
	creds, err := setup.LoadCredentials(ctx, env.Kube, rec)
	if err != nil || creds.ClientSecret != secret || creds.Password != "" {
		t.Fatalf("the credentials Secret must hold the client secret only (%v)", err)
	}
	var az map[string]map[string]any
	_ = json.Unmarshal(w.fake.Spec(rt.ID)["authorizerConfiguration"], &az)
	jwt := az["customJWTAuthorizer"]
	if jwt["discoveryUrl"] != awsops.DiscoveryURL(w.cog.Issuer(poolID)) || fmt.Sprint(jwt["allowedClients"]) != "["+clientID+"]" ||
		fmt.Sprint(jwt["allowedScopes"]) != "[agentcore/invoke]" || jwt["allowedAudience"] != nil {
		t.Fatalf("authorizer: %v", jwt)
	}
	_, desc, err := env.Cognito.DescribeAppClient(ctx, poolID, clientID)
	if err != nil || !aws.ToBool(desc.AllowedOAuthFlowsUserPoolClient) || fmt.Sprint(desc.AllowedOAuthFlows) != "[client_credentials]" ||
		fmt.Sprint(desc.AllowedOAuthScopes) != "[agentcore/invoke]" {
		t.Fatalf("the app client was not given client credentials: %v %+v", err, desc)
	}
	if ev := idp.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].ClientID != clientID || ev[0].AuthMethod != oidcserver.Basic {
		t.Fatalf("token requests %+v: want one by HTTP Basic for the client", ev)
	}
	sec, err := env.Kube.CoreV1().Secrets(ns).Get(ctx, setup.DefaultSecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := jwtparts.Claims(strings.TrimPrefix(string(sec.Data["Authorization"]), "Bearer "))
	if err != nil || claims["client_id"] != clientID || claims["scope"] != "agentcore/invoke" {
		t.Fatalf("the gateway Secret's token: %v %v", claims, err)
	}
	for _, c := range first.res.Changes {
		if strings.Contains(c.Detail+c.Target, secret) {
			t.Fatal("the client secret is in the result")
		}
	}

	// Teardown: the domain and the resource server go, the client the wizard did not create stays.
	tenv := &teardown.Env{Kube: env.Kube, Applier: env.Applier, Cognito: env.Cognito, AgentCore: env.AgentCore}
	tp, err := teardown.BuildPlan(ctx, tenv, rec, teardown.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := teardown.Run(ctx, tenv, tp); err != nil {
		t.Fatal(err)
	}
	if d, err := api.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(wantDomain)}); err != nil || d.DomainDescription.UserPoolId != nil {
		t.Fatalf("the domain the wizard created is still there (%v)", err)
	}
	if _, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("agentcore")}); err == nil {
		t.Fatal("the resource server the wizard created is still there")
	}
	if _, _, err := env.Cognito.DescribeAppClient(ctx, poolID, clientID); err != nil {
		t.Fatalf("teardown removed the app client the wizard did not create: %v", err)
	}

	// A client the wizard creates: the mint fails (the OAuth server does not know it), the record says what was
	// created, and teardown removes it with the domain and resource server.
	ns2 := ns + "-b"
	b := a
	b.ClientID, b.ClientName, b.RouteNamespace, b.Scopes = "", "made-by-wizard", ns2, []string{"invoke", "admin"}
	if _, err := api.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("agentcore"), Name: aws.String("pre"),
		Scopes: []ciptypes.ResourceServerScopeType{{ScopeName: aws.String("invoke"), ScopeDescription: aws.String("pre-made")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, env, b)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("a client the OAuth server does not know: %v", err)
	}
	rec2, err := setup.Load(ctx, env.Kube, ns2)
	if err != nil {
		t.Fatal(err)
	}
	if !rec2.CreatedClient || !rec2.CreatedDomain || rec2.CreatedResourceServer || rec2.ClientID == "" || rec2.ClientID == clientID {
		t.Fatalf("record after the failed mint: %+v", rec2)
	}
	rs, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("agentcore")})
	if err != nil || len(rs.ResourceServer.Scopes) != 2 {
		t.Fatalf("the existing resource server must gain the scope admin: %v", err)
	}
	tp, err = teardown.BuildPlan(ctx, tenv, rec2, teardown.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := teardown.Run(ctx, tenv, tp); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Cognito.DescribeAppClient(ctx, poolID, rec2.ClientID); err == nil {
		t.Fatal("the app client the wizard created is still there")
	}
	if _, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: aws.String(poolID), Identifier: aws.String("agentcore")}); err != nil {
		t.Fatalf("teardown removed the resource server the wizard did not create: %v", err)
	}
	if d, _ := api.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(wantDomain)}); d == nil || d.DomainDescription.UserPoolId != nil {
		t.Fatal("the domain the wizard created is still there")
	}
	if _, _, err := env.Cognito.DescribeAppClient(ctx, poolID, clientID); err != nil {
		t.Fatalf("the other client must stay: %v", err)
	}
}

// A client secret typed in the TUI (Answers.ClientSecret, never a flag) stands in for --client-secret-from: the
// answers normalize to client credentials and mint at the real OAuth server.
func TestExternalClientSecretTypedInTUI(t *testing.T) {
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{Resources: map[string]string{"https://api.example.test/": "agents.invoke"},
		Clients: []oidcserver.Client{{ID: "tui-m2m", Secret: secret}}})
	a := wz.Answers{RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/a-Ab12Cd34Ef", Identity: wz.IdentityExternal,
		DiscoveryURL: idp.DiscoveryURL(), ClientID: "tui-m2m", ClientSecret: secret, Audience: []string{"https://api.example.test/"}}
	cfg, err := wz.Normalize(a, "")
	if err != nil || cfg.ClientCreds == nil {
		t.Fatalf("normalize: %v %+v", err, cfg)
	}
	if err := wz.MintExternal(context.Background(), cfg, cfg.Answers.ClientSecret); err != nil || cfg.Minted == nil {
		t.Fatalf("mint: %v", err)
	}
	a.ClientSecret = ""
	if _, err := wz.Normalize(a, ""); err == nil || !strings.Contains(err.Error(), "--client-secret-from") {
		t.Fatalf("no secret at all: %v", err)
	}
}

// Two machine clients of one pool (client credentials, the real OAuth server minting) on one AgentCore Gateway:
// its one authorizer allows both clients (allowedClients joined, the same scope), the second setup records the
// gateway's authorizer type from before either (NONE) as its own "before". Tearing the first down narrows the
// authorizer to the second client and keeps the domain and resource server the first one's wizard created (the
// second uses them); tearing the second down then brings NONE back and deletes them.
func TestMachineClientsShareAnAgentCoreGateway(t *testing.T) {
	w := newWorld(t)
	env := w.env(w.c.Config)
	env.ConfirmGatewayTypeChange = true
	ctx := context.Background()
	g, err := w.fake.AddGatewayJSON([]byte(`{"name":"shared-tools","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"NONE"}`))
	if err != nil {
		t.Fatal(err)
	}
	api := cip.NewFromConfig(w.cogCfg)
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("pool-shared-m2m")})
	if err != nil {
		t.Fatal(err)
	}
	var clients []oidcserver.Client
	for _, name := range []string{"team-a", "team-b"} {
		c, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String(name), GenerateSecret: true})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, oidcserver.Client{ID: aws.ToString(c.UserPoolClient.ClientId), Secret: aws.ToString(c.UserPoolClient.ClientSecret)})
	}
	idp := oidcservertest.Start(t, oidcserver.Options{Resources: map[string]string{"urn:agentcore": "agentcore/invoke"}, DefaultResource: "urn:agentcore", Clients: clients})
	answers := func(ns, clientID, prefix string) wz.Answers {
		return wz.Answers{Gateway: w.gwNS + "/agentgateway-proxy", AgentCoreGateway: g.ARN, RouteNamespace: ns, PathPrefix: prefix,
			Identity: wz.IdentityCognitoMachine, UserPoolName: "pool-shared-m2m", ClientID: clientID, TokenURL: idp.TokenURL()}
	}
	authorizer := func() (string, []string, []string) {
		t.Helper()
		got, err := env.AgentCore.GetGateway(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		j := awsops.JWTConfig(got.AuthorizerConfiguration)
		if j == nil {
			return string(got.AuthorizerType), nil, nil
		}
		return string(got.AuthorizerType), slices.Sorted(slices.Values(j.AllowedClients)), j.AllowedScopes
	}
	first, second := "wiz-m2m-share-a-"+w.gwNS, "wiz-m2m-share-b-"+w.gwNS
	if _, err := run(t, env, answers(first, clients[0].ID, "/a")); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, env, answers(second, clients[1].ID, "/b"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.plan.Warnings) != 0 {
		t.Errorf("a second machine client of the same pool: warnings %q", out.plan.Warnings)
	}
	typ, got, scopes := authorizer()
	if want := slices.Sorted(slices.Values([]string{clients[0].ID, clients[1].ID})); typ != "CUSTOM_JWT" || !slices.Equal(got, want) || !slices.Equal(scopes, []string{"agentcore/invoke"}) {
		t.Fatalf("the AgentCore Gateway's authorizer after the second setup: %s clients %v scopes %v, want clients %v", typ, got, scopes, want)
	}
	if rec, err := setup.Load(ctx, env.Kube, second); err != nil || rec.PreviousAuthorizerType != "NONE" {
		t.Fatalf("the second setup's authorizer before the wizard: type %q (%v), want NONE", rec.PreviousAuthorizerType, err)
	}

	// The first setup's wizard created the pool's domain and resource server; the second uses them. Tearing the
	// first down narrows the authorizer to the second client and keeps both parts, handed over to the second.
	recA, err := setup.Load(ctx, env.Kube, first)
	if err != nil || !recA.CreatedDomain || !recA.CreatedResourceServer {
		t.Fatalf("the first setup should have created the domain and the resource server: %+v (%v)", recA, err)
	}
	p := tearDown(t, env, first, teardown.Options{})
	if it := p.Items[0]; it.Action != "update" || !strings.Contains(it.Detail, "narrow it to what setup "+second+"/agentcore-setup needs (allowedClients ["+clients[1].ID+"]") {
		t.Fatalf("the first teardown's authorizer item: %s %q", it.Action, it.Detail)
	}
	if typ, got, _ := authorizer(); typ != "CUSTOM_JWT" || !slices.Equal(got, []string{clients[1].ID}) {
		t.Fatalf("the AgentCore Gateway's authorizer after the first teardown: %s %v", typ, got)
	}
	domainThere := func() bool {
		d, err := api.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(recA.Domain)})
		return err == nil && d.DomainDescription.UserPoolId != nil
	}
	rsThere := func() bool {
		_, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pool.UserPool.Id, Identifier: aws.String(recA.ResourceServer)})
		return err == nil
	}
	if !domainThere() || !rsThere() {
		t.Fatalf("the first teardown deleted the domain or the resource server the second setup uses: %+v", p.Items)
	}
	if heir, err := setup.Load(ctx, env.Kube, second); err != nil || !heir.CreatedDomain || !heir.CreatedResourceServer || heir.PreviousAuthorizerType != "NONE" {
		t.Fatalf("the second setup after the hand-over: %+v (%v)", heir, err)
	}
	tearDown(t, env, second, teardown.Options{})
	if typ, _, _ := authorizer(); typ != "NONE" {
		t.Fatalf("the last teardown left authorizer type %s", typ)
	}
	if domainThere() || rsThere() {
		t.Fatal("the last teardown kept the domain or the resource server it took over")
	}
}
