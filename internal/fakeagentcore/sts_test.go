package fakeagentcore_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
)

// The local STS answers GetCallerIdentity as the real SDK parses it, and refuses any other action with an error the
// SDK surfaces with its code.
func TestSTSHandler(t *testing.T) {
	const account, arn = "210987654321", "arn:aws:iam::210987654321:user/bench"
	srv := httptest.NewServer(fakeagentcore.STSHandler(account, arn, "AKIDLOCAL"))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region: "eu-west-1",
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDLOCAL", SecretAccessKey: "x"}, nil
		})),
		BaseEndpoint: aws.String(srv.URL),
	}
	id, err := awsops.CallerIdentity(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != account || id.ARN != arn {
		t.Fatalf("identity = %+v, want account %s arn %s", id, account, arn)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.UserId) != "AKIDLOCAL" {
		t.Fatalf("UserId = %q", aws.ToString(out.UserId))
	}
	_, err = sts.NewFromConfig(cfg).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidAction") {
		t.Fatalf("GetSessionToken: err = %v, want InvalidAction", err)
	}
}
