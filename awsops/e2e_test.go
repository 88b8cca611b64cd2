package awsops

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
)

func post(t *testing.T, u, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(`{"role":"user","content":[{"text":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The whole identity path: cognito-local pool/client/user → ID token → runtime authorizer set through the real
// SDK on the fake → the fake's data plane accepts the ID token and refuses the access token with the aud message.
func TestCognitoTokensAgainstFakeRuntime(t *testing.T) {
	c, s := newCognito(t)
	ctx := context.Background()
	id, err := c.EnsureIdentity(ctx, IdentitySpec{PoolName: "e2e-" + t.Name(), Client: ClientSpec{Name: "gw"}, Username: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.MintWithPassword(ctx, MintRequest{PoolID: id.Pool.ID, ClientID: id.Client.ID, ClientSecret: id.Client.Secret, Username: "svc", Password: id.User.Password})
	if err != nil {
		t.Fatal(err)
	}
	f, ac := newFake(t)
	rt, err := f.AddRuntime(fullSpec("e2e_agent"))
	if err != nil {
		t.Fatal(err)
	}
	u := fakeagentcore.InvocationURL(f.URL, rt.ARN)
	if code, body := post(t, u, tok.IDToken); code != 403 || !strings.Contains(body, "Authorization method mismatch") {
		t.Errorf("IAM runtime: %d %s", code, body)
	}
	if _, err := ac.SetAuthorizer(ctx, rt.ID, CognitoAuthorizer(id.Issuer, id.Client.ID), SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, u, tok.IDToken); code != 200 || !strings.Contains(body, "echo: hi") {
		t.Errorf("ID token: %d %s", code, body)
	}
	if code, body := post(t, u, tok.AccessToken); code != 401 || !strings.Contains(body, "Claim 'aud' value mismatch") {
		t.Errorf("access token: %d %s", code, body)
	}
	// cognito-local's own discovery document (issuer localhost:9229) does not match the token's iss.
	raw := &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String(s.RawDiscoveryURL(id.Pool.ID)), AllowedAudience: []string{id.Client.ID}}}
	if _, err := ac.SetAuthorizer(ctx, rt.ID, raw, SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, body := post(t, u, tok.IDToken); code != 401 || !strings.Contains(body, "Claim 'iss' value mismatch") {
		t.Errorf("raw discovery: %d %s", code, body)
	}
}
