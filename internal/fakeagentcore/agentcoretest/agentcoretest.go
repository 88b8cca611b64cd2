// Package agentcoretest serves the local AgentCore fake (internal/fakeagentcore) on a loopback test server. It
// takes testing.TB, so it lives here, apart from the code the sandbox binary links; only tests import it.
package agentcoretest

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
)

// Start serves both planes on a loopback httptest server closed at test end; the result's URL is its base URL.
func Start(t testing.TB, o fakeagentcore.Options) *fakeagentcore.Server {
	t.Helper()
	s := fakeagentcore.New(o)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// StartForAWS is Start with this test's AWS environment pointed at the fake's control plane: static test
// credentials in us-east-1, no profile or shared files, no instance metadata, so the plugin's AWS clients reach
// the fake and nothing else.
func StartForAWS(t testing.TB, o fakeagentcore.Options) *fakeagentcore.Server {
	t.Helper()
	s := Start(t, o)
	UseForAWS(t, s.URL)
	return s
}

// UseForAWS points this test's AWS environment at controlURL for the AgentCore control plane (an unreachable
// address for a test that must not reach one), with static test credentials in us-east-1, no profile or shared
// files and no instance metadata.
func UseForAWS(t testing.TB, controlURL string) {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", controlURL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// AddRuntime adds a runtime named name with what every test needs of one (a container image, a role, public
// networking, no authorizer yet); the test fails when the fake refuses it.
func AddRuntime(t testing.TB, s *fakeagentcore.Server, name string) fakeagentcore.Runtime {
	t.Helper()
	rt, err := s.AddRuntime(&bedrockagentcorecontrol.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String(name),
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/" + name + ":1")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
	})
	if err != nil {
		t.Fatalf("adding runtime %s to the local AgentCore: %v", name, err)
	}
	return rt
}
