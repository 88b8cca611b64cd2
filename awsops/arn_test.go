package awsops

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

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

// TestIDFromRuntimeAndGateway: runtimes and gateways take an id or an ARN by one rule (idFrom): surrounding space
// is dropped, an ARN gives its id or its parse error, a bad id is named with the shape wanted.
func TestIDFromRuntimeAndGateway(t *testing.T) {
	for _, tc := range []struct {
		name    string
		idFrom  func(string) (string, error)
		in      string
		want    string // the id, or the error
		wantErr bool
	}{
		{"runtime id", RuntimeIDFrom, " payments_agent-Ab12Cd34Ef\n", "payments_agent-Ab12Cd34Ef", false},
		{"runtime ARN", RuntimeIDFrom, "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef", "payments_agent-Ab12Cd34Ef", false},
		{"runtime bad id", RuntimeIDFrom, "payments-agent", `invalid runtime id "payments-agent": want <name>-<10 alphanumerics> or a runtime ARN`, true},
		{"runtime gateway ARN", RuntimeIDFrom, "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/tools-gw-abcdef0123",
			`invalid runtime ARN "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/tools-gw-abcdef0123": resource is not runtime/<id> (want arn:aws:bedrock-agentcore:<region>:<account>:runtime/<runtime id>)`, true},
		{"gateway id", GatewayIDFrom, "tools-gw-abcdef0123 ", "tools-gw-abcdef0123", false},
		{"gateway ARN", GatewayIDFrom, "arn:aws:bedrock-agentcore:eu-west-1:123456789012:gateway/tools-gw-abcdef0123", "tools-gw-abcdef0123", false},
		{"gateway bad id", GatewayIDFrom, "Tools", `invalid gateway id "Tools": want <name>-<10 lowercase alphanumerics> or a gateway ARN`, true},
		{"gateway bad account", GatewayIDFrom, "arn:aws:bedrock-agentcore:eu-west-1:1234:gateway/tools-gw-abcdef0123",
			`invalid gateway ARN "arn:aws:bedrock-agentcore:eu-west-1:1234:gateway/tools-gw-abcdef0123": account must be 12 digits (want arn:aws:bedrock-agentcore:<region>:<account>:gateway/<gateway id>)`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.idFrom(tc.in)
			if tc.wantErr {
				if err == nil || err.Error() != tc.want || got != "" {
					t.Fatalf("got %q, %v; want the error %q", got, err, tc.want)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestARNPartShapes: the byte-by-byte checks of an ARN's parts accept exactly what their regular expressions
// (the AWS documented shapes) accept, on hand-picked edges and on random strings over each part's alphabet.
func TestARNPartShapes(t *testing.T) {
	cases := []struct {
		name  string
		check func(string) bool
		re    *regexp.Regexp
		alpha string
		edges []string
	}{
		{"runtime id", isRuntimeID, regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-9]{10}$`), "aZ9_-",
			[]string{"payments_agent-Ab3dE5gH9k", "a-0123456789", "-0123456789", "a-012345678", "a-01234567890", "9a-0123456789",
				"a_b-01234_6789", "a-b-0123456789", strings.Repeat("a", 48) + "-0123456789", strings.Repeat("a", 49) + "-0123456789", ""}},
		{"region", isRegion, regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`), "aegov-19",
			[]string{"us-east-1", "us-gov-west-1", "eu-central-1", "ap-southeast-12", "us-east-", "use-east-1", "u-east-1", "us--1",
				"us-gov-1", "us-gov-gov-1", "US-east-1", "us-east-1a", ""}},
		{"account", isAccount, regexp.MustCompile(`^\d{12}$`), "01a",
			[]string{"123456789012", "12345678901", "1234567890123", "12345678901a", ""}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		in := slices.Clone(c.edges)
		for range 20000 { // random strings, and edges with one byte changed, added or removed
			b := make([]byte, rng.IntN(16))
			for i := range b {
				b[i] = c.alpha[rng.IntN(len(c.alpha))]
			}
			e := []byte(c.edges[rng.IntN(len(c.edges))])
			if i := rng.IntN(len(e) + 1); i < len(e) {
				switch rng.IntN(3) {
				case 0:
					e[i] = c.alpha[rng.IntN(len(c.alpha))]
				case 1:
					e = slices.Delete(e, i, i+1)
				default:
					e = slices.Insert(e, i, c.alpha[rng.IntN(len(c.alpha))])
				}
			}
			in = append(in, string(b), string(e))
		}
		for _, s := range in {
			if got, want := c.check(s), c.re.MatchString(s); got != want {
				t.Fatalf("%s %q: check says %v, the regular expression %v", c.name, s, got, want)
			}
		}
	}
}

// cutN splits as strings.SplitN does, for every limit an ARN or region is split with.
func TestCutNMatchesSplitN(t *testing.T) {
	for _, s := range []string{"", ":", "::", "a", "a:b", "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/x",
		"arn:aws:s:r:a:res:with:colons", "us-gov-west-1", "a-b-c-d-e-f-g", "-", "--x--"} {
		for _, n := range []int{1, 3, 5, 6} {
			for _, sep := range []string{":", "-"} {
				buf := make([]string, n)
				got := buf[:cutN(s, sep, buf)]
				if want := strings.SplitN(s, sep, n); !slices.Equal(got, want) {
					t.Errorf("cutN(%q, %q, %d) = %q, want %q", s, sep, n, got, want)
				}
			}
		}
	}
}

func BenchmarkParseRuntimeARN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRuntimeARN("arn:aws:bedrock-agentcore:us-gov-west-1:123456789012:runtime/agent_one-AbCdEf1234"); err != nil {
			b.Fatal(err)
		}
	}
}
