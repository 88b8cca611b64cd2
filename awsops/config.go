// Package awsops talks to AWS: configuration, Cognito user pools and tokens, the AgentCore control plane.
// Everything goes through aws-sdk-go-v2 so the standard environment (AWS_PROFILE, AWS_REGION, SSO, the
// AWS_ENDPOINT_URL_* overrides used by tests and the sandbox) works unchanged.
package awsops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/explain"
)

// Options are the --region and --profile flags. Empty values defer to the AWS SDK's own resolution.
type Options struct {
	Region  string
	Profile string
}

// Load resolves the AWS configuration the way the AWS CLI does. It reads files but makes no network call.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	// The SDK's own logger writes warnings (e.g. IMDS fallbacks) to stderr, which would tear the TUI; errors
	// reach the user through Explain instead.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: pass --region or set AWS_REGION")
	}
	return cfg, nil
}

// Identity is who the AWS credentials belong to.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
}

// CallerIdentity asks STS who we are (one network call).
func CallerIdentity(ctx context.Context, cfg aws.Config) (Identity, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, Explain(err)
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}, nil
}

// Explain turns an AWS SDK error into one line that says what to do, keeping the service's error code.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	msg := err.Error()
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch code {
		case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
			return explain.Newf(err, "AWS credentials have expired (%s). Refresh them (aws sso login, or new keys) and retry", code)
		case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException":
			return explain.Newf(err, "AWS rejected the credentials (%s). Check AWS_PROFILE / AWS_ACCESS_KEY_ID", code)
		}
		return explain.Newf(err, "%s: %s", code, ae.ErrorMessage())
	}
	switch {
	case strings.Contains(msg, "failed to retrieve credentials"), strings.Contains(msg, "no EC2 IMDS role found"),
		strings.Contains(msg, "get credentials"):
		return explain.New(err, "no AWS credentials found. Set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
	case strings.Contains(msg, "token has expired"), strings.Contains(msg, "SSO session"):
		return explain.New(err, "the AWS SSO session has expired. Run aws sso login and retry")
	}
	return err
}
