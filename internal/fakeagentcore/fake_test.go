package fakeagentcore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
)

// The standard AWS way: AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL + the default config chain.
func TestControlPlaneThroughEnvEndpoint(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{UpdateDelay: 20 * time.Millisecond})
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", f.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := bedrockagentcorecontrol.NewFromConfig(cfg)
	ctx := context.Background()
	spec := &bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("env_agent"),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("img")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
	}
	out, err := c.CreateAgentRuntime(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.AgentRuntimeStatusCreating || !strings.HasPrefix(aws.ToString(out.AgentRuntimeId), "env_agent-") {
		t.Fatalf("create: %s %s", out.Status, aws.ToString(out.AgentRuntimeId))
	}
	_, err = c.CreateAgentRuntime(ctx, spec)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ConflictException" {
		t.Errorf("duplicate name: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := c.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: out.AgentRuntimeId})
		if err != nil {
			t.Fatal(err)
		}
		if g.Status == types.AgentRuntimeStatusReady {
			if aws.ToString(g.AgentRuntimeArn) != aws.ToString(out.AgentRuntimeArn) || g.CreatedAt == nil || aws.ToString(g.AgentRuntimeVersion) != "1" {
				t.Errorf("get: %+v", g)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s", g.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
	bad := *spec
	bad.AgentRuntimeName = aws.String("has-hyphen")
	if _, err := c.CreateAgentRuntime(ctx, &bad); !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("hyphenated name: %v", err)
	}
	if _, err := c.GetAgentRuntime(ctx, &bedrockagentcorecontrol.GetAgentRuntimeInput{AgentRuntimeId: aws.String("nope-abcdefghij")}); !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Errorf("missing runtime: %v", err)
	}
}

// Raw requests: unsigned calls and updates missing each required field are refused in AWS's error format.
func TestControlPlaneRawRejections(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{})
	rt := seed(t, f, "raw_agent", "")
	resp, err := http.Get(f.URL + "/runtimes/" + rt.ID + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "MissingAuthenticationTokenException") {
		t.Errorf("unsigned GET: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	full := map[string]string{
		"agentRuntimeArtifact": `{"containerConfiguration":{"containerUri":"img"}}`,
		"roleArn":              `"arn:aws:iam::123456789012:role/R"`,
		"networkConfiguration": `{"networkMode":"PUBLIC"}`,
	}
	for missing := range full {
		var parts []string
		for k, v := range full {
			if k != missing {
				parts = append(parts, `"`+k+`":`+v)
			}
		}
		req, _ := http.NewRequest(http.MethodPut, f.URL+"/runtimes/"+rt.ID+"/", strings.NewReader("{"+strings.Join(parts, ",")+"}"))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "ValidationException") {
			t.Errorf("update without %s: %d", missing, resp.StatusCode)
		}
	}
	if f.Updates(rt.ID) != 0 || f.Status(rt.ID) != "READY" {
		t.Errorf("rejected updates changed the runtime: %d updates, %s", f.Updates(rt.ID), f.Status(rt.ID))
	}
}
