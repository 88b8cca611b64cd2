package tokencheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck/tokentest"
)

func BenchmarkParse(b *testing.B) {
	raw := tokentest.RSA(b, "k").Mint(b, tokentest.CognitoID(cognitoIss, "c", now, time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokencheck.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckAll(b *testing.B) {
	tok, _ := tokencheck.Parse(tokentest.EC(b, "k").Mint(b, tokentest.CognitoAccess(cognitoIss, "c", now, time.Hour)))
	az := &tokencheck.Authorizer{DiscoveryURL: disc, AllowedAudience: []string{"c"}, AllowedClients: []string{"c"}, AllowedScopes: []string{"openid"}}
	b.ReportAllocs()
	for b.Loop() {
		_ = tokencheck.CheckToken(tok, now)
		_ = tokencheck.CheckAuthorizer(tok, az, cognitoIss)
		_ = tokencheck.Explain(tok)
	}
}

func BenchmarkVerifySignatureRSA(b *testing.B) {
	k := tokentest.RSA(b, "k")
	tok, _ := tokencheck.Parse(k.Mint(b, tokentest.CognitoID(cognitoIss, "c", now, time.Hour)))
	jwks := tokentest.JWKS(b, k, tokentest.EC(b, "e"))
	b.ReportAllocs()
	for b.Loop() {
		if err := tokencheck.VerifySignature(context.Background(), tok, jwks); err != nil {
			b.Fatal(err)
		}
	}
}
