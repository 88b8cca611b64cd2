package setup_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/payments_agent-Ab12Cd34Ef"

func TestSaveLoadRoundTrip(t *testing.T) {
	c := clustertest.Shared(t)
	ctx := context.Background()
	ns := c.Namespace(t, "setup")
	kube := c.Kube()

	if _, err := setup.Load(ctx, kube, ns); !errors.Is(err, setup.ErrNotFound) {
		t.Fatalf("want ErrNotFound before the wizard ran, got %v", err)
	}
	rec := setup.Record{Namespace: ns, RuntimeARN: arn, UserPoolID: "us-east-1_abc", ClientID: "client1",
		Username: "svc", Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
		PreviousAuthorizer: "null", CreatedNamespace: true, Audience: []string{"a", "b"}}.WithDefaults()
	if rec.Region != "us-east-1" || rec.SecretName != setup.DefaultSecretName || rec.Mode != setup.ModeRewrite {
		t.Fatalf("defaults: %+v", rec)
	}
	creds := setup.Credentials{ClientSecret: "s3cret", Password: "pw", RefreshToken: "rt"}
	if err := setup.Save(ctx, kube, &rec, &creds); err != nil {
		t.Fatal(err)
	}
	got, err := setup.Load(ctx, kube, ns)
	if err != nil {
		t.Fatal(err)
	}
	if got.RuntimeARN != arn || got.ClientID != "client1" || !got.CreatedNamespace || got.CreatedUserPool ||
		got.PreviousAuthorizer != "null" || len(got.Audience) != 2 || got.UpdatedAt.IsZero() || got.Gateway() != "agentgateway-system/agentgateway-proxy" {
		t.Fatalf("round trip lost something: %+v", got)
	}
	gc, err := setup.LoadCredentials(ctx, kube, got)
	if err != nil || gc != creds {
		t.Fatalf("credentials: %+v %v", gc, err)
	}
	cm, _ := kube.CoreV1().ConfigMaps(ns).Get(ctx, setup.DefaultRecordName, metav1.GetOptions{})
	if cm.Labels[k8sres.LabelManagedBy] != k8sres.ManagedByValue {
		t.Fatalf("labels: %v", cm.Labels)
	}
	for _, v := range cm.Data {
		if strings.Contains(v, "s3cret") {
			t.Fatal("the ConfigMap must not hold secrets")
		}
	}
	// Rotation replaces the set: a dropped key disappears.
	if err := setup.SaveCredentials(ctx, kube, got, setup.Credentials{ClientSecret: "s3cret", RefreshToken: "rt2"}); err != nil {
		t.Fatal(err)
	}
	gc, _ = setup.LoadCredentials(ctx, kube, got)
	if gc.RefreshToken != "rt2" || gc.Password != "" {
		t.Fatalf("after SaveCredentials: %+v", gc)
	}

	recs, err := setup.Find(ctx, kube)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		found = found || r.Namespace == ns
	}
	if !found {
		t.Fatalf("Find did not list %s: %v", ns, recs)
	}
	if r, err := setup.Resolve(ctx, kube, ns); err != nil || r.Namespace != ns {
		t.Fatalf("Resolve: %v %v", r, err)
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"rewrite", "native", "SigV4"} {
		if _, err := setup.ParseMode(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := setup.ParseMode("proxy"); err == nil {
		t.Fatal("unknown mode accepted")
	}
	r := setup.Record{Mode: setup.ModeSigV4, RuntimeARN: arn}.WithDefaults()
	if r.SecretName != "" || r.IdentityProvider != setup.IdPNone {
		t.Fatalf("sigv4 has no secret and no IdP: %+v", r)
	}
}

// The caller's identity provider and the token service (passthrough, exchange) survive the ConfigMap: doctor reads
// them back from a live record.
func TestCallerAndExchangeFieldsRoundTrip(t *testing.T) {
	rec := setup.Record{Namespace: "ns", RuntimeARN: arn, Mode: setup.ModeExchange, GatewayName: "gw",
		CallerDiscoveryURL: "https://idp.example.com/.well-known/openid-configuration", CallerIssuer: "https://idp.example.com/",
		CallerAudiences: []string{"web", "mobile"}, JWTPolicyName: "agentcore-jwt-auth",
		ExchangeDiscoveryURL: "https://sts.example.com/.well-known/openid-configuration", ExchangeTokenURL: "https://sts.example.com/token",
		ExchangeClientID: "gateway", ExchangeAuthMethod: "post", ExchangeAudience: "agentcore", ExchangeScopes: []string{"invoke", "read"},
		ExchangeSecretName: "agentcore-exchange", ExchangeBackendName: "token-service"}.WithDefaults()
	got, err := setup.FromConfigMap(rec.ConfigMap())
	if err != nil {
		t.Fatal(err)
	}
	if got.CallerDiscoveryURL != rec.CallerDiscoveryURL || got.CallerIssuer != rec.CallerIssuer || strings.Join(got.CallerAudiences, " ") != "web mobile" ||
		got.JWTPolicyName != rec.JWTPolicyName || got.ExchangeDiscoveryURL != rec.ExchangeDiscoveryURL || got.ExchangeTokenURL != rec.ExchangeTokenURL ||
		got.ExchangeClientID != "gateway" || got.ExchangeAuthMethod != "post" || got.ExchangeAudience != "agentcore" ||
		strings.Join(got.ExchangeScopes, " ") != "invoke read" || got.ExchangeSecretName != rec.ExchangeSecretName ||
		got.ExchangeBackendName != rec.ExchangeBackendName || got.Mode != setup.ModeExchange {
		t.Fatalf("round trip lost something:\n got %+v\nwant %+v", got, rec)
	}
}

// TestCallerModesRecordRoundTrip: the caller / token-service fields survive the ConfigMap (doctor and teardown
// read them from it), and the caller-token modes default to an external identity provider (the runtime's
// authorizer is set from DiscoveryURL/Audience) with their own object names and no token Secret.
func TestCallerModesRecordRoundTrip(t *testing.T) {
	for _, m := range []setup.Mode{setup.ModePassthrough, setup.ModeExchange} {
		rec := setup.Record{Namespace: "ns", RuntimeARN: arn, Mode: m, DiscoveryURL: "https://ts.example/.well-known/openid-configuration",
			Audience: []string{"agentcore"}, CallerDiscoveryURL: "https://idp.example/.well-known/openid-configuration",
			CallerIssuer: "https://idp.example/", CallerAudiences: []string{"app", "web"}}.WithDefaults()
		if m == setup.ModeExchange {
			rec.ExchangeDiscoveryURL, rec.ExchangeTokenURL, rec.ExchangeClientID = rec.DiscoveryURL, "https://ts.example/token", "gw"
			rec.ExchangeAuthMethod, rec.ExchangeAudience, rec.ExchangeScopes = "basic", "agentcore", []string{"invoke", "read"}
		}
		if rec.IdentityProvider != setup.IdPExternal || rec.SecretName != "" || rec.JWTPolicyName != setup.DefaultJWTPolicyName ||
			rec.PolicyName != setup.DefaultPolicyName || rec.CallerJWKSBackendName != setup.DefaultCallerJWKSBackend {
			t.Fatalf("%s defaults: %+v", m, rec)
		}
		if (m == setup.ModeExchange) != (rec.ExchangeSecretName == setup.DefaultExchangeSecretName && rec.ExchangeBackendName == setup.DefaultExchangeBackendName) {
			t.Fatalf("%s exchange names: %+v", m, rec)
		}
		got, err := setup.FromConfigMap(rec.ConfigMap())
		if err != nil {
			t.Fatal(err)
		}
		if g := got.WithDefaults(); !reflect.DeepEqual(g.Data(), rec.Data()) || g.CallerJWKSBackendName != rec.CallerJWKSBackendName {
			t.Fatalf("%s round trip:\n got %+v\nwant %+v", m, g.Data(), rec.Data())
		}
	}
}
