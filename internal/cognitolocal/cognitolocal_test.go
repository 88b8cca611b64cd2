package cognitolocal_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
)

func TestMain(m *testing.M) { cognitotest.Main(m) }

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return m
}

func TestIssuerMatchesDiscoveryThroughFront(t *testing.T) {
	s := cognitotest.Shared(t)
	ctx := context.Background()
	c := cip.NewFromConfig(s.AWSConfig())
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("front-" + t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("c"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth}})
	if err != nil {
		t.Fatal(err)
	}
	// Free-form usernames by default, like real Cognito (cognito-local's default would demand an e-mail).
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("svc"), MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("svc"), Password: aws.String("Pw-123456789abc!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: cl.UserPoolClient.ClientId,
		AuthFlow: ciptypes.AuthFlowTypeAdminUserPasswordAuth, AuthParameters: map[string]string{"USERNAME": "svc", "PASSWORD": "Pw-123456789abc!"}})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(aws.ToString(out.AuthenticationResult.IdToken), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)

	disc := getJSON(t, s.DiscoveryURL(poolID))
	if claims["iss"] != disc["issuer"] || disc["issuer"] != s.Issuer(poolID) {
		t.Fatalf("token iss %v, discovery issuer %v, want both %s", claims["iss"], disc["issuer"], s.Issuer(poolID))
	}
	if !strings.HasPrefix(s.Issuer(poolID), "http://127.0.0.1:") {
		t.Errorf("issuer %s is not on loopback", s.Issuer(poolID))
	}
	jwks := getJSON(t, disc["jwks_uri"].(string))
	if keys, _ := jwks["keys"].([]any); len(keys) == 0 {
		t.Fatalf("JWKS through the front has no keys: %v", jwks)
	}
	if claims["cognito:username"] != "svc" {
		t.Errorf("cognito:username = %v, want svc", claims["cognito:username"])
	}
	// The raw document still has cognito-local's hard-coded issuer: the mismatch doctor must catch.
	raw := getJSON(t, s.RawDiscoveryURL(poolID))
	if raw["issuer"] == claims["iss"] || !strings.Contains(raw["issuer"].(string), "localhost:9229") {
		t.Errorf("raw discovery issuer %v; expected cognito-local's localhost:9229 value, different from iss %v", raw["issuer"], claims["iss"])
	}
}

func TestEnvAndStop(t *testing.T) {
	s := cognitotest.StartForTest(t, cognitolocal.Options{EmailUsernames: true})
	env := strings.Join(s.Env(), "\n")
	if !strings.Contains(env, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER="+s.Endpoint()) {
		t.Errorf("Env lacks the endpoint: %s", env)
	}
	ctx := context.Background()
	c := cip.NewFromConfig(s.AWSConfig())
	pool, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("email")})
	if err != nil {
		t.Fatal(err)
	}
	// With EmailUsernames the pool demands e-mail usernames (cognito-local's default).
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool.UserPool.Id, Username: aws.String("svc"), MessageAction: ciptypes.MessageActionTypeSuppress})
	if err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("want an e-mail username error, got %v", err)
	}
	pid := s.PID()
	s.Stop()
	if _, err := http.Get(s.Endpoint() + "/health"); err == nil {
		t.Error("front still answers after Stop")
	}
	if _, err := http.Get(s.RawEndpoint() + "/health"); err == nil {
		t.Errorf("cognito-local (pid %d) still answers after Stop", pid)
	}
}

func TestMissingNode(t *testing.T) {
	if why := cognitolocal.Missing(cognitolocal.Options{Node: "/nonexistent/node"}); !strings.Contains(why, "node") {
		t.Errorf("Missing = %q", why)
	}
	if why := cognitolocal.Missing(cognitolocal.Options{StartJS: "/nonexistent/start.js"}); !strings.Contains(why, "not installed") {
		t.Errorf("Missing = %q", why)
	}
	if _, err := cognitolocal.Start(context.Background(), cognitolocal.Options{StartJS: "/nonexistent/start.js"}); err == nil {
		t.Error("Start succeeded without cognito-local")
	}
}
