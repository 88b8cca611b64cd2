package rotate_test

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/oidcserver/oidcservertest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	rotatecmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// wholeJWT matches an unmasked JWT; masked ones stop after ten characters.
var wholeJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)

// TestRotateClientCredentials: a setup whose token comes from an external identity provider by OAuth 2.0 client
// credentials (the real oidc-provider, Auth0-like issuer with a trailing slash) is rotated from its record and
// credentials Secret, validated against the runtime's authorizer before it is written, and a refused token (wrong
// audience, wrong secret) leaves the Secret alone. A pasted-token setup says how to renew it.
func TestRotateClientCredentials(t *testing.T) {
	c := clustertest.Shared(t)
	cfg := rest.CopyConfig(c.Config)
	e := &env{t: t, c: c, kube: kubernetes.NewForConfigOrDie(cfg), ns: c.Namespace(t, "rotatecc")}
	e.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(e.kubeconfig, testcluster.AdminToken, e.ns); err != nil {
		t.Fatal(err)
	}
	const api = "https://agents.example.test/"
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{TrailingSlash: true, StrictAuthMethod: true, AccessTokenTTL: 10 * time.Minute,
		Resources: map[string]string{api: "agents.invoke"},
		Clients:   []oidcserver.Client{{ID: "gateway-m2m", Secret: secret, AuthMethod: oidcserver.Post}}})

	fake := agentcoretest.StartForAWS(t, fakeagentcore.Options{})
	rt := agentcoretest.AddRuntime(t, fake, "m2m_agent")
	setAuthorizer := func(aud string) {
		t.Helper()
		if err := fake.SetAuthorizerJSON(rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+idp.DiscoveryURL()+`","allowedAudience":["`+aud+`"]}}`)); err != nil {
			t.Fatal(err)
		}
	}
	setAuthorizer(api)

	ctx := context.Background()
	rec := &setup.Record{Namespace: e.ns, Name: setup.DefaultRecordName, Region: "us-east-1", RuntimeARN: rt.ARN, Mode: setup.ModeRewrite,
		IdentityProvider: setup.IdPExternal, Issuer: idp.Issuer, DiscoveryURL: idp.DiscoveryURL(), Audience: []string{api},
		ClientID: "gateway-m2m", TokenSource: setup.TokenSourceClientCredentials, TokenAudience: api, AuthMethod: "post",
		TokenUse: setup.TokenUseAccess, GatewayNamespace: "agentgateway-system", GatewayName: "agentgateway-proxy", SecretName: "agentcore-jwt"}
	if err := setup.Save(ctx, e.kube, rec, &setup.Credentials{ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	back, err := setup.Load(ctx, e.kube, e.ns)
	if err != nil {
		t.Fatal(err)
	}
	if back.Issuer != idp.Issuer || !strings.HasSuffix(back.Issuer, "/") || !back.ClientCredentials() || back.AuthMethod != "post" {
		t.Fatalf("record round trip: issuer %q (want %q byte for byte), source %q, method %q", back.Issuer, idp.Issuer, back.TokenSource, back.AuthMethod)
	}
	e.createSecret("agentcore-jwt", map[string]string{"Authorization": "Bearer placeholder"}, nil, nil)

	var minted []string
	check := func(r result) {
		t.Helper()
		all := r.out + r.err
		if strings.Contains(all, secret) {
			t.Fatalf("the client secret appears in the output:\n%s", all)
		}
		for _, tok := range minted {
			if strings.Contains(all, tok) {
				t.Fatalf("a minted token appears in the output:\n%s", all)
			}
		}
		if wholeJWT.MatchString(all) {
			t.Fatalf("a whole JWT appears in the output:\n%s", all)
		}
	}
	r := e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns)
	if r.code != 0 || !strings.Contains(r.out, "claims against runtime "+rt.ARN) {
		t.Fatalf("rotation by client credentials: code %d\n%s%s", r.code, r.out, r.err)
	}
	// The signature was checked against the IdP's JWKS, named by its discovery document, not a Cognito pool.
	doc, err := tokencheck.FetchDiscovery(ctx, http.DefaultClient, idp.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	if want := "signature against the identity provider's JWKS " + doc.JWKSURI + " (issuer " + idp.Issuer + ")"; !strings.Contains(r.out, want) || strings.Contains(r.out, "pool") {
		t.Fatalf("the checked line must name the IdP's JWKS (%s):\n%s", want, r.out)
	}
	good := e.secret("agentcore-jwt")
	value := string(good.Data["Authorization"])
	// The record says so, as the rotation service writes it: status annotations and a Rotated Event.
	st := recordStatus(t, e, e.ns)
	if st.LastRotation.IsZero() || time.Since(st.LastRotation) > time.Minute || st.TokenExpires.IsZero() || st.Next.IsZero() ||
		!st.Next.Before(st.TokenExpires) || st.LastError != "" || !strings.Contains(st.By, "(once)") {
		t.Fatalf("record status after a one-shot rotation: %+v", st)
	}
	if n := recordEvents(t, e, e.ns, rotate.EventReasonRotated); n != 1 {
		t.Fatalf("%d Rotated events on the record, want 1", n)
	}
	minted = append(minted, strings.TrimPrefix(value, "Bearer "))
	check(r)
	tok, err := tokencheck.Parse(strings.TrimPrefix(value, "Bearer "))
	if err != nil {
		t.Fatalf("the Secret holds %v", err)
	}
	if tok.Issuer != idp.Issuer || len(tok.Audience) != 1 || tok.Audience[0] != api || tok.ClientID != "gateway-m2m" {
		t.Fatalf("stored token: iss %q aud %v client %q", tok.Issuer, tok.Audience, tok.ClientID)
	}
	if v := tokencheck.Verify(ctx, tok, tokencheck.Sources{DiscoveryURL: idp.DiscoveryURL()}); !v.Verified {
		t.Fatalf("stored token signature: %v", v.Err)
	}
	if ev := idp.WaitEvents(oidcserver.AtLeast(1)); len(ev) != 1 || ev[0].AuthMethod != oidcserver.Post || ev[0].Resource != api {
		t.Fatalf("the IdP saw %+v", ev)
	}

	// Fresh: nothing minted. Forced: a new token.
	r = e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns, "--min-remaining", "5m")
	check(r)
	if r.code != 0 || len(idp.Events()) != 1 {
		t.Fatalf("a fresh token was replaced: code %d, %d mints\n%s%s", r.code, len(idp.Events()), r.out, r.err)
	}

	// The runtime now wants another audience: the new token is refused and the Secret keeps the old one.
	setAuthorizer("https://someone-else.example.test/")
	r = e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns, "--force")
	check(r)
	if r.code != 1 || !strings.Contains(r.err, "refused and not written") || !strings.Contains(r.err, "authorizer.audience") {
		t.Fatalf("wrong audience: code %d\n%s%s", r.code, r.out, r.err)
	}
	if after := e.secret("agentcore-jwt"); after.ResourceVersion != good.ResourceVersion {
		t.Fatal("a refused token changed the Secret")
	}
	if st2 := recordStatus(t, e, e.ns); !st2.LastRotation.Equal(st.LastRotation) || st2.Failures != 1 ||
		!strings.Contains(st2.LastError, "validate") || !strings.Contains(st2.LastError, "authorizer.audience") {
		t.Fatalf("record status after a refused token: %+v (before %+v)", st2, st)
	}
	if n := recordEvents(t, e, e.ns, rotate.EventReasonFailed); n != 1 {
		t.Fatalf("%d RotationFailed events on the record, want 1", n)
	}
	setAuthorizer(api)

	// A wrong secret in the credentials Secret: one line naming invalid_client, never the secret.
	wrong := oidcserver.NewSecret()
	if err := setup.SaveCredentials(ctx, e.kube, rec, setup.Credentials{ClientSecret: wrong}); err != nil {
		t.Fatal(err)
	}
	r = e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns, "--force")
	check(r)
	if r.code != 1 || !strings.Contains(r.err, "invalid_client") || strings.Contains(r.err, wrong) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Fatalf("wrong secret: code %d\n%s%s", r.code, r.out, r.err)
	}
	// It names where this secret came from and what chooses the method: no flag of rotate's.
	if !strings.Contains(r.err, "Check the clientSecret key of Secret "+e.ns+"/"+rec.CredentialsName()) ||
		!strings.Contains(r.err, "or try kubectl agentcore wizard -n "+e.ns+" --auth-method") || strings.Contains(r.err, "--client-secret-from") {
		t.Fatalf("wrong secret: the hint does not say where the secret is:\n%s", r.err)
	}
	if after := e.secret("agentcore-jwt"); after.ResourceVersion != good.ResourceVersion {
		t.Fatal("a failed mint changed the Secret")
	}

	// A pasted token (wizard --identity external --token-file): rotate says so and how to renew it.
	pasted := *rec
	pasted.Namespace = c.Namespace(t, "rotatepasted")
	pasted.TokenSource, pasted.ClientID, pasted.TokenAudience, pasted.AuthMethod = setup.TokenSourcePasted, "", "", ""
	if err := setup.Save(ctx, e.kube, &pasted, nil); err != nil {
		t.Fatal(err)
	}
	r = e.run(ctx, e.kubeconfig, nil, "rotate", "-n", pasted.Namespace)
	if r.code != 1 || !strings.Contains(r.err, "pasted") || !strings.Contains(r.err, "--token-file") || strings.Contains(r.err, "no setup record") {
		t.Fatalf("pasted setup: code %d\n%s%s", r.code, r.out, r.err)
	}
}

// TestRotateWatchClientCredentialsShortLifetime: rotate --watch keeps renewing 100-second client-credentials
// tokens from the real oidc-provider: each rotation writes a new, valid token before the old one is refused.
func TestRotateWatchClientCredentialsShortLifetime(t *testing.T) {
	c := clustertest.Shared(t)
	e := &env{t: t, c: c, kube: kubernetes.NewForConfigOrDie(rest.CopyConfig(c.Config)), ns: c.Namespace(t, "rotateccwatch")}
	e.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(e.kubeconfig, testcluster.AdminToken, e.ns); err != nil {
		t.Fatal(err)
	}
	const api = "https://agents.example.test/"
	secret := oidcserver.NewSecret()
	idp := oidcservertest.Start(t, oidcserver.Options{AccessTokenTTL: 100 * time.Second, Resources: map[string]string{api: "agents.invoke"},
		Clients: []oidcserver.Client{{ID: "gateway-m2m", Secret: secret}}})
	// No runtime to read (AWS unreachable): the record's authorizer is the one checked.
	agentcoretest.UseForAWS(t, "http://127.0.0.1:1")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &setup.Record{Namespace: e.ns, Name: setup.DefaultRecordName, Region: "us-east-1",
		RuntimeARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/m2m_agent-Ab12Cd34Ef", Mode: setup.ModeRewrite,
		IdentityProvider: setup.IdPExternal, Issuer: idp.Issuer, DiscoveryURL: idp.DiscoveryURL(), Audience: []string{api},
		ClientID: "gateway-m2m", TokenSource: setup.TokenSourceClientCredentials, TokenAudience: api,
		TokenUse: setup.TokenUseAccess, GatewayNamespace: "agentgateway-system", GatewayName: "agentgateway-proxy", SecretName: "agentcore-jwt"}
	if err := setup.Save(ctx, e.kube, rec, &setup.Credentials{ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	e.createSecret("agentcore-jwt", map[string]string{"Authorization": "Bearer placeholder"}, nil, nil)

	var mu sync.Mutex
	var rotated []string
	o := &rotatecmd.Options{WatchHook: func(ev rotate.Event) {
		if ev.Kind == rotate.EventFailed {
			cancel()
			return
		}
		if ev.Kind != rotate.EventRotated {
			return
		}
		v := string(e.secret("agentcore-jwt").Data["Authorization"])
		mu.Lock()
		rotated = append(rotated, v)
		n := len(rotated)
		mu.Unlock()
		if n == 3 {
			cancel() // like SIGTERM after the third token
		}
	}}
	done := make(chan result, 1)
	go func() {
		done <- e.run(ctx, e.kubeconfig, o, "rotate", "-n", e.ns, "--watch", "--min-validity", "90s", "--log-format", "json")
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("watch did not rotate three times within 3 minutes")
	}
	mu.Lock()
	defer mu.Unlock()
	if r.code != 0 || len(rotated) != 3 {
		t.Fatalf("watch: code %d, %d rotations\n%s%s", r.code, len(rotated), r.out, r.err)
	}
	seen := map[string]bool{}
	for i, v := range rotated {
		tok, err := tokencheck.Parse(strings.TrimPrefix(v, "Bearer "))
		if err != nil || seen[v] {
			t.Fatalf("rotation %d wrote %v (repeat %v)", i, err, seen[v])
		}
		seen[v] = true
		if tok.Issuer != idp.Issuer || tok.Audience[0] != api {
			t.Fatalf("rotation %d: iss %q aud %v", i, tok.Issuer, tok.Audience)
		}
		if strings.Contains(r.out+r.err, strings.TrimPrefix(v, "Bearer ")) {
			t.Fatal("a minted token appears in the watch output")
		}
	}
	if strings.Contains(r.out+r.err, secret) || wholeJWT.MatchString(r.out+r.err) {
		t.Fatalf("a secret or token in the output:\n%s%s", r.out, r.err)
	}
	if n := len(idp.WaitEvents(oidcserver.AtLeast(3))); n != 3 {
		t.Fatalf("the IdP minted %d tokens, want 3", n)
	}
	// Each round is on the record, as the rotation service writes it.
	last, _ := tokencheck.Parse(strings.TrimPrefix(rotated[2], "Bearer "))
	st := recordStatus(t, e, e.ns)
	if st.LastRotation.IsZero() || !strings.Contains(st.By, "(watch)") || last.ExpiresAt == nil || !st.TokenExpires.Equal(last.ExpiresAt.Truncate(time.Second)) ||
		st.Next.IsZero() || st.LastError != "" {
		t.Fatalf("record status after the watch: %+v (last token expires %v)", st, last.ExpiresAt)
	}
	if n := recordEvents(t, e, e.ns, rotate.EventReasonRotated); n != 3 {
		t.Fatalf("%d Rotated events on the record, want 3", n)
	}
}

// recordStatus reads the rotation status annotations of the namespace's setup record.
func recordStatus(t *testing.T, e *env, ns string) rotate.RecordStatus {
	t.Helper()
	cm, err := e.kube.CoreV1().ConfigMaps(ns).Get(context.Background(), setup.DefaultRecordName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rotate.ReadStatus(cm)
}

// recordEvents counts the events.k8s.io Events with reason about the namespace's setup record (written before
// rotate returns).
func recordEvents(t *testing.T, e *env, ns, reason string) int {
	t.Helper()
	l, err := e.kube.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range l.Items {
		if ev.Regarding.Kind == "ConfigMap" && ev.Regarding.Name == setup.DefaultRecordName && ev.Reason == reason &&
			ev.ReportingController == rotate.EventController {
			n++
		}
	}
	return n
}
