package awsops

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
)

func TestUnreachableFromAWS(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1:9443":                       "loopback address",
		"[::1]:8080":                           "loopback address",
		"localhost":                            "loopback name",
		"idp.localhost:8443":                   "loopback name",
		"10.0.12.7":                            "private address",
		"172.20.1.1:443":                       "private address",
		"192.168.1.10":                         "private address",
		"[fd00::1]:443":                        "private address",
		"169.254.169.254":                      "link-local address",
		"keycloak":                             "single-label name",
		"keycloak.identity.svc":                "only the cluster's DNS",
		"keycloak.identity.svc.cluster.local.": "only the cluster's DNS",
		"keys.idp.internal":                    ".internal name",
		"printer.local":                        ".local name",
		"idp.example.com":                      "",
		"cognito-idp.us-east-1.amazonaws.com":  "",
		"8.8.8.8":                              "",
		"[2001:4860:4860::8888]:443":           "",
		"172.32.0.1":                           "",
		"svc.example.com":                      "",
		"":                                     "",
	} {
		got := UnreachableFromAWS(host)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("UnreachableFromAWS(%q) = %q, want %q", host, got, want)
		}
	}
}

// A client pointed at a loopback or in-cluster endpoint is a local AgentCore; AWS's own endpoints (no override, or
// a FIPS one) and values without options are not.
func TestLocalEndpoint(t *testing.T) {
	client := func(endpoint string) *bedrockagentcorecontrol.Client {
		cfg := aws.Config{Region: "us-east-1"}
		if endpoint != "" {
			cfg.BaseEndpoint = aws.String(endpoint)
		}
		return bedrockagentcorecontrol.NewFromConfig(cfg)
	}
	for endpoint, want := range map[string]bool{
		"http://127.0.0.1:46341":                            true,
		"http://fake-agentcore.test.svc.cluster.local:8080": true,
		"": false,
		"https://bedrock-agentcore-control-fips.us-east-1.amazonaws.com": false,
	} {
		if got := LocalEndpoint(client(endpoint)); got != want {
			t.Errorf("LocalEndpoint(client at %q) = %v, want %v", endpoint, got, want)
		}
	}
	// The override from the environment, as the plugin loads its configuration (the sandbox's way).
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", "http://localhost:9000")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !LocalEndpoint(bedrockagentcorecontrol.NewFromConfig(cfg)) {
		t.Error("an endpoint from AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL is not seen")
	}
	if LocalEndpoint(nil) || LocalEndpoint("http://127.0.0.1") {
		t.Error("a value without client options is not a local AgentCore")
	}
}
