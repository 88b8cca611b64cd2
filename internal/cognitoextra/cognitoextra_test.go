package cognitoextra_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
)

func TestMain(m *testing.M) { cognitotest.Main(m) }

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The fake's calls through the real SDK client, against cognito-local behind it: resource servers, domains, the
// OAuth checks on app clients, and everything else still reaching cognito-local.
func TestResourceServersDomainsAndClients(t *testing.T) {
	cog := cognitotest.Shared(t)
	api := cip.NewFromConfig(cog.AWSConfig())
	ctx := context.Background()
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	pid := pool.UserPool.Id

	if _, err := api.CreateResourceServer(ctx, &cip.CreateResourceServerInput{UserPoolId: aws.String("local_nope"), Identifier: aws.String("x"), Name: aws.String("x")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("unknown pool: %v", err)
	}
	rsIn := &cip.CreateResourceServerInput{UserPoolId: pid, Identifier: aws.String("agentcore"), Name: aws.String("AgentCore"),
		Scopes: []ciptypes.ResourceServerScopeType{{ScopeName: aws.String("invoke"), ScopeDescription: aws.String("call agents")}}}
	if _, err := api.CreateResourceServer(ctx, rsIn); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateResourceServer(ctx, rsIn); code(err) != "InvalidParameterException" {
		t.Fatalf("a second resource server with the same identifier: %v", err)
	}
	d, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pid, Identifier: aws.String("agentcore")})
	if err != nil || aws.ToString(d.ResourceServer.Name) != "AgentCore" || len(d.ResourceServer.Scopes) != 1 || aws.ToString(d.ResourceServer.Scopes[0].ScopeName) != "invoke" {
		t.Fatalf("DescribeResourceServer: %v %+v", err, d)
	}

	// App clients: a custom scope must exist; client_credentials needs a secret.
	mk := func(scope string, secret bool) (*cip.CreateUserPoolClientOutput, error) {
		return api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: pid, ClientName: aws.String("m2m"), GenerateSecret: secret,
			AllowedOAuthFlows: []ciptypes.OAuthFlowType{ciptypes.OAuthFlowTypeClientCredentials}, AllowedOAuthFlowsUserPoolClient: true,
			AllowedOAuthScopes: []string{scope}})
	}
	if _, err := mk("agentcore/missing", true); code(err) != "ScopeDoesNotExistException" {
		t.Fatalf("unknown scope: %v", err)
	}
	if _, err := mk("agentcore/invoke", false); code(err) != "InvalidOAuthFlowException" {
		t.Fatalf("client_credentials without a secret: %v", err)
	}
	c, err := mk("agentcore/invoke", true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := api.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: pid, ClientId: c.UserPoolClient.ClientId})
	if err != nil || !aws.ToBool(got.UserPoolClient.AllowedOAuthFlowsUserPoolClient) || len(got.UserPoolClient.AllowedOAuthScopes) != 1 ||
		len(got.UserPoolClient.AllowedOAuthFlows) != 1 || aws.ToString(got.UserPoolClient.ClientSecret) == "" {
		t.Fatalf("DescribeUserPoolClient (cognito-local keeps the OAuth settings): %v %+v", err, got)
	}

	// Domains: an unknown one describes empty (available), a taken one is refused, the pool shows its domain.
	prefix := "agentcore-extra-test"
	dd, err := api.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(prefix)})
	if err != nil || dd.DomainDescription == nil || dd.DomainDescription.UserPoolId != nil {
		t.Fatalf("an unknown domain must describe empty: %v %+v", err, dd)
	}
	for _, bad := range []string{"-bad", "my-cognito-pool", "Upper"} {
		if _, err := api.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{Domain: aws.String(bad), UserPoolId: pid}); code(err) != "InvalidParameterException" {
			t.Fatalf("domain %q: %v", bad, err)
		}
	}
	if _, err := api.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{Domain: aws.String(prefix), UserPoolId: pid}); err != nil {
		t.Fatal(err)
	}
	other, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(t.Name() + "-other")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{Domain: aws.String(prefix), UserPoolId: other.UserPool.Id}); code(err) != "InvalidParameterException" {
		t.Fatalf("a taken domain: %v", err)
	}
	dd, err = api.DescribeUserPoolDomain(ctx, &cip.DescribeUserPoolDomainInput{Domain: aws.String(prefix)})
	if err != nil || aws.ToString(dd.DomainDescription.UserPoolId) != aws.ToString(pid) || dd.DomainDescription.Status != ciptypes.DomainStatusTypeActive {
		t.Fatalf("DescribeUserPoolDomain: %v %+v", err, dd)
	}
	up, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pid})
	if err != nil || aws.ToString(up.UserPool.Domain) != prefix || aws.ToString(up.UserPool.Name) != t.Name() {
		t.Fatalf("DescribeUserPool must show the domain and keep cognito-local's answer: %v %+v", err, up)
	}

	// Deletes.
	if _, err := api.DeleteUserPoolDomain(ctx, &cip.DeleteUserPoolDomainInput{Domain: aws.String(prefix), UserPoolId: pid}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeleteResourceServer(ctx, &cip.DeleteResourceServerInput{UserPoolId: pid, Identifier: aws.String("agentcore")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DescribeResourceServer(ctx, &cip.DescribeResourceServerInput{UserPoolId: pid, Identifier: aws.String("agentcore")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted resource server: %v", err)
	}
	up, _ = api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pid})
	if up == nil || up.UserPool.Domain != nil {
		t.Fatal("the deleted domain is still on the pool")
	}
}
