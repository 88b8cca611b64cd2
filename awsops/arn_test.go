package awsops

import "testing"

func TestParseRuntimeARN(t *testing.T) {
	good := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"
	a, err := ParseRuntimeARN(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.Region != "us-east-1" || a.Account != "123456789012" || a.RuntimeID != "payments_agent-Ab12Cd34Ef" || a.Name() != "payments_agent" {
		t.Fatalf("parsed %+v", a)
	}
	if a.String() != good {
		t.Fatalf("String() = %s", a.String())
	}
	if got, want := a.InvocationPath(), "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fpayments_agent-Ab12Cd34Ef/invocations"; got != want {
		t.Fatalf("InvocationPath = %s, want %s", got, want)
	}
	if a.DataPlaneHost() != "bedrock-agentcore.us-east-1.amazonaws.com" {
		t.Fatal(a.DataPlaneHost())
	}
	for _, bad := range []string{
		"", "arn:aws:bedrock-agentcore:us-east-1:123456789012",
		"arn:aws:lambda:us-east-1:123456789012:runtime/x_agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:us-east-1:12345:runtime/x_agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:useast1:123456789012:runtime/x_agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:us-east-1:123456789012:agent/x_agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my-agent-Ab12Cd34Ef",
		"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/x_agent-short",
		"arn:gcp:bedrock-agentcore:us-east-1:123456789012:runtime/x_agent-Ab12Cd34Ef",
	} {
		if _, err := ParseRuntimeARN(bad); err == nil {
			t.Errorf("ParseRuntimeARN(%q) accepted a bad ARN", bad)
		}
	}
}
