package sandbox

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The sandbox's AgentCore Gateway is seen through the AWS SDK (ListGateways, GetGateway) as AWS_IAM with the MCP
// URL the state names, and its MCP endpoint refuses a call without SigV4 (IAM until the wizard configures it).
func TestSeedGateway(t *testing.T) {
	f := agentcoretest.Start(t, fakeagentcore.Options{Region: Region, Account: Account})
	gw, err := SeedGateway(f, f.URL)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := awsops.ParseGatewayARN(gw.ARN); err != nil || a.GatewayID != gw.ID || a.Account != Account || a.Region != Region {
		t.Fatalf("ARN %s: %+v %v", gw.ARN, a, err)
	}
	ctx := context.Background()
	c := bedrockagentcorecontrol.NewFromConfig(f.AWSConfig(f.URL))
	l, err := c.ListGateways(ctx, &bedrockagentcorecontrol.ListGatewaysInput{})
	if err != nil || len(l.Items) != 1 || aws.ToString(l.Items[0].GatewayId) != gw.ID || aws.ToString(l.Items[0].Name) != ToolsGateway ||
		l.Items[0].AuthorizerType != types.AuthorizerTypeAwsIam {
		t.Fatalf("ListGateways: %+v %v", l, err)
	}
	g, err := c.GetGateway(ctx, &bedrockagentcorecontrol.GetGatewayInput{GatewayIdentifier: aws.String(gw.ID)})
	if err != nil || g.Status != types.GatewayStatusReady || aws.ToString(g.GatewayUrl) != gw.MCPURL || aws.ToString(g.GatewayArn) != gw.ARN {
		t.Fatalf("GetGateway: %+v %v (state says %+v)", g, err, gw)
	}
	if !slices.Equal(gw.Tools, fakeagentcore.GatewayTools) || len(gw.Tools) == 0 {
		t.Errorf("tools %v", gw.Tools)
	}
	// Without SigV4 the AWS_IAM gateway refuses the MCP session.
	cl := mcp.NewClient(&mcp.Implementation{Name: "sandbox-test", Version: "1"}, nil)
	if s, err := cl.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCPURL, MaxRetries: -1}, nil); err == nil {
		s.Close()
		t.Fatal("an unsigned MCP initialize reached the AWS_IAM gateway")
	}
}
