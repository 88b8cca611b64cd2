package rotate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/cognitolocal/cognitotest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/fakeagentcore/agentcoretest"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/testcluster/clustertest"
	rotatecmd "github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmd/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/cmdutil"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/spf13/cobra"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// env is one namespace on the real apiserver with a Cognito identity in cognito-local.
type env struct {
	t          *testing.T
	c          *clustertest.Cluster
	cog        *cognitolocal.Server
	kube       kubernetes.Interface
	ns         string
	kubeconfig string
	id         awsops.CognitoIdentity
}

func newEnv(t *testing.T, cog *cognitolocal.Server, name string) *env {
	t.Helper()
	c := clustertest.Shared(t)
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 200, 400
	e := &env{t: t, c: c, cog: cog, kube: kubernetes.NewForConfigOrDie(cfg), ns: c.Namespace(t, "rotate")}
	e.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.WriteKubeconfig(e.kubeconfig, testcluster.AdminToken, e.ns); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var err error
	e.id, err = awsops.NewCognito(cog.AWSConfig()).EnsureIdentity(ctx, awsops.IdentitySpec{
		PoolName: strings.ReplaceAll(name, "/", "-"), Client: awsops.ClientSpec{Name: "gateway"}, Username: "gateway-svc"})
	if err != nil {
		t.Fatalf("creating the Cognito identity: %v", err)
	}
	if e.id.User.Password == "" || e.id.Client.Secret == "" {
		t.Fatalf("identity without password or client secret: %+v", e.id)
	}
	e.createSecret("agentcore-jwt", map[string]string{"Authorization": "Bearer placeholder", "other": "keep"},
		map[string]string{"team": "payments"}, map[string]string{"note": "hand-made"})
	e.createSecret("gw-creds", map[string]string{"clientSecret": e.id.Client.Secret, "password": e.id.User.Password}, nil, nil)
	return e
}

func (e *env) createSecret(name string, data, labels, ann map[string]string) {
	e.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: labels, Annotations: ann}, StringData: data}
	if _, err := e.kube.CoreV1().Secrets(e.ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) secret(name string) *corev1.Secret {
	e.t.Helper()
	s, err := e.kube.CoreV1().Secrets(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// tokenSecret is the token Secret agentcore-jwt, its Authorization checked to hold a valid token for min more.
func (e *env) tokenSecret(min time.Duration) *corev1.Secret {
	e.t.Helper()
	s := e.secret("agentcore-jwt")
	if err := e.checkValid(string(s.Data["Authorization"]), min); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// refused runs rotate --force from the record and wants the new token refused: exit 1, one error line saying
// "refused and not written" and each of want, and the token Secret as it was (good).
func (e *env) refused(ctx context.Context, good *corev1.Secret, want ...string) {
	e.t.Helper()
	r := e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns, "--force")
	if r.code != 1 || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		e.t.Fatalf("want one error line and exit 1: code %d\n%s%s", r.code, r.out, r.err)
	}
	for _, w := range append([]string{"refused and not written"}, want...) {
		if !strings.Contains(r.err, w) {
			e.t.Fatalf("the refusal lacks %q:\n%s", w, r.err)
		}
	}
	if after := e.secret("agentcore-jwt"); after.ResourceVersion != good.ResourceVersion {
		e.t.Fatal("a refused token changed the Secret")
	}
}

// saveCognitoRecord saves the record of a rewrite setup whose identity is e's Cognito service user (its token in
// agentcore-jwt; client secret and password in the record's Secret); target sets what the setup fronts.
func (e *env) saveCognitoRecord(ctx context.Context, target func(*setup.Record)) {
	e.t.Helper()
	rec := &setup.Record{Namespace: e.ns, Name: setup.DefaultRecordName, Region: "us-east-1", Mode: setup.ModeRewrite,
		IdentityProvider: setup.IdPCognito, UserPoolID: e.id.Pool.ID, ClientID: e.id.Client.ID, Username: "gateway-svc",
		DiscoveryURL: e.cog.DiscoveryURL(e.id.Pool.ID), TokenUse: setup.TokenUseID, GatewayNamespace: "agentgateway-system",
		GatewayName: "agentgateway-proxy", SecretName: "agentcore-jwt"}
	target(rec)
	if err := setup.Save(ctx, e.kube, rec, &setup.Credentials{ClientSecret: e.id.Client.Secret, Password: e.id.User.Password}); err != nil {
		e.t.Fatal(err)
	}
}

// updateClient changes e's app client in cognito-local: every setting it has, as edit leaves them. It returns the
// Cognito client it used.
func (e *env) updateClient(ctx context.Context, edit func(*cip.UpdateUserPoolClientInput)) *awsops.Cognito {
	e.t.Helper()
	c := awsops.NewCognito(e.cog.AWSConfig())
	_, desc, err := c.DescribeAppClient(ctx, e.id.Pool.ID, e.id.Client.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	in := awsops.UpdateClientInputFromDescribe(desc)
	edit(in)
	if _, err := c.API.UpdateUserPoolClient(ctx, in); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// flags are the no-record flags for this env.
func (e *env) flags(extra ...string) []string {
	return append([]string{"rotate", "--user-pool-id", e.id.Pool.ID, "--client-id", e.id.Client.ID, "--username", "gateway-svc",
		"--credentials-secret", "gw-creds", "--discovery-url", e.cog.DiscoveryURL(e.id.Pool.ID)}, extra...)
}

type result struct {
	out, err string
	code     int
}

// run executes the command in-process the way root does: kubectl flags on a parent, one error line, exit code;
// o, when not nil, carries the test's hooks (clock, watch events).
func (e *env) run(ctx context.Context, kubeconfig string, o *rotatecmd.Options, args ...string) result {
	streams, _, out, errOut := cmdutil.Test()
	f := cmdutil.New(streams)
	f.KubeFlags.KubeConfig = &kubeconfig
	parent := &cobra.Command{Use: "agentcore", SilenceErrors: true, SilenceUsage: true}
	f.KubeFlags.AddFlags(parent.PersistentFlags())
	parent.PersistentFlags().StringVar(&f.AWS.Region, "region", "", "")
	parent.AddCommand(rotatecmd.NewCmd(f, func(got *rotatecmd.Options) error {
		if o != nil { // the test's hooks
			got.Clock, got.WatchHook = o.Clock, o.WatchHook
		}
		return got.Run(ctx)
	}))
	parent.SetArgs(args)
	parent.SetOut(out)
	parent.SetErr(errOut)
	err := parent.ExecuteContext(ctx)
	code := cmdutil.ExitCode(err)
	if err != nil {
		fmt.Fprintln(errOut, "error: "+redact.Text(err.Error()))
	}
	return result{out.String(), errOut.String(), code}
}

// checkValid verifies an Authorization value as the runtime would: Bearer, signature against the pool's JWKS,
// aud = the client, and at least min left.
func (e *env) checkValid(value string, min time.Duration) error {
	if !strings.HasPrefix(value, "Bearer ") {
		return fmt.Errorf("not a Bearer value: %q", redact.Text(value))
	}
	tok, err := tokencheck.Parse(strings.TrimPrefix(value, "Bearer "))
	if err != nil {
		return err
	}
	v := tokencheck.Verify(context.Background(), tok, tokencheck.Sources{DiscoveryURL: e.cog.DiscoveryURL(e.id.Pool.ID)})
	if !v.Verified {
		return fmt.Errorf("signature: %v", v.Err)
	}
	for _, f := range tokencheck.CheckAuthorizer(tok, &tokencheck.Authorizer{DiscoveryURL: e.cog.DiscoveryURL(e.id.Pool.ID),
		AllowedAudience: []string{e.id.Client.ID}}, v.Discovery.Issuer) {
		if f.Status == tokencheck.StatusFail {
			return fmt.Errorf("%s: %s", f.ID, f.Detail)
		}
	}
	if tok.ExpiresAt == nil || time.Until(*tok.ExpiresAt) < min {
		return fmt.Errorf("expires too soon: %v", tok.ExpiresAt)
	}
	return nil
}

func setAWSEnv(t *testing.T, cog *cognitolocal.Server) {
	for _, kv := range cog.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// TestRotate runs every cognito-local scenario as subtests of one cognito-local process.
func TestRotate(t *testing.T) {
	cog := cognitotest.StartForTest(t, cognitolocal.Options{})
	setAWSEnv(t, cog)
	t.Run("OneShotPasswordThenRefresh", func(t *testing.T) { testOneShot(t, cog) })
	t.Run("SetupRecordAndWrongAudience", func(t *testing.T) { testRecordAndWrongAudience(t, cog) })
	t.Run("AgentCoreGatewayAuthorizer", func(t *testing.T) { testGatewayAuthorizer(t, cog) })
	t.Run("TenRotatorsAndAConcurrentWriter", func(t *testing.T) { testConcurrent(t, cog) })
	t.Run("BadInput", func(t *testing.T) { testBadInput(t, cog) })
	t.Run("WatchLogsJSON", func(t *testing.T) { testWatchJSON(t, cog) })
	t.Run("MinValidityForShortLivedPools", func(t *testing.T) { testMinValidity(t, cog) })
	t.Run("RefreshTokenRotationWriteBack", func(t *testing.T) { testRefreshTokenRotation(t, cog) })
}

// testRefreshTokenRotation: an app client with refresh-token rotation (grace period 0). cognito-local does not
// rotate refresh tokens: its front (internal/cognitoextra, a local fake named as such) serves
// GetTokensFromRefreshToken and rotates, killing the submitted refresh token at once. Each rotation must store the
// new refresh token in the credentials Secret, so the next one (with no password to fall back on) still works,
// and the one before is dead.
func testRefreshTokenRotation(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()
	c := e.updateClient(ctx, func(in *cip.UpdateUserPoolClientInput) {
		in.RefreshTokenRotation = &ciptypes.RefreshTokenRotationType{Feature: ciptypes.FeatureTypeEnabled, RetryGracePeriodSeconds: aws.Int32(0)}
	})
	// The first rotation signs in with the password and stores Cognito's refresh token.
	if r := e.run(ctx, e.kubeconfig, nil, e.flags()...); r.code != 0 {
		t.Fatalf("first rotation: code %d\n%s%s", r.code, r.out, r.err)
	}
	creds := e.secret("gw-creds")
	delete(creds.Data, "password") // from now on only the refresh token can mint
	if _, err := e.kube.CoreV1().Secrets(e.ns).Update(ctx, creds, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	prev := string(creds.Data["refreshToken"])
	if prev == "" {
		t.Fatal("no refresh token stored by the password sign-in")
	}
	seen := map[string]bool{prev: true}
	for i := 1; i <= 3; i++ {
		r := e.run(ctx, e.kubeconfig, nil, e.flags("--force", "-o", "json")...)
		if r.code != 0 {
			t.Fatalf("rotation %d: code %d\n%s%s", i, r.code, r.out, r.err)
		}
		var res rotate.Result
		if err := json.Unmarshal([]byte(r.out), &res); err != nil || res.Method != rotate.MethodRefresh || !res.RefreshTokenRotated {
			t.Fatalf("rotation %d: want a refresh with a rotated refresh token, got %v %+v", i, err, res)
		}
		next := string(e.secret("gw-creds").Data["refreshToken"])
		if next == "" || seen[next] {
			t.Fatalf("rotation %d: the credentials Secret does not hold a new refresh token", i)
		}
		if strings.Contains(r.out+r.err, next) || strings.Contains(r.out+r.err, prev) {
			t.Fatalf("rotation %d printed a refresh token", i)
		}
		if err := e.checkValid(string(e.secret("agentcore-jwt").Data["Authorization"]), 50*time.Minute); err != nil {
			t.Fatalf("rotation %d wrote an invalid token: %v", i, err)
		}
		// The submitted refresh token is dead now (grace period 0): without the write-back rotate would be locked out.
		_, err := c.MintWithRefresh(ctx, awsops.MintRequest{ClientID: e.id.Client.ID, ClientSecret: e.id.Client.Secret, RefreshToken: prev, UseGetTokensFromRefreshToken: true})
		if err == nil || !strings.Contains(err.Error(), "RefreshTokenReuse") {
			t.Fatalf("rotation %d: the old refresh token still works or fails otherwise: %v", i, err)
		}
		seen[next], prev = true, next
	}
}

// testMinValidity: an app client issuing 2-minute tokens (a test pool) is refused by default — the token is
// shorter than Cognito's shortest real validity, so the Secret keeps its old value — and accepted with
// --min-validity 90s. --min-validity under 90s is a usage error.
func testMinValidity(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()
	e.updateClient(ctx, func(in *cip.UpdateUserPoolClientInput) {
		in.IdTokenValidity, in.AccessTokenValidity = aws.Int32(2), aws.Int32(2)
		in.TokenValidityUnits = &ciptypes.TokenValidityUnitsType{IdToken: ciptypes.TimeUnitsTypeMinutes, AccessToken: ciptypes.TimeUnitsTypeMinutes, RefreshToken: ciptypes.TimeUnitsTypeDays}
	})
	rv := e.secret("agentcore-jwt").ResourceVersion

	r := e.run(ctx, e.kubeconfig, nil, e.flags()...)
	if r.code != 1 || !strings.Contains(r.err, "less than the minimum validity 5m") || !strings.Contains(r.err, "--min-validity") ||
		strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Fatalf("a 2-minute token must be refused by default with one error line naming --min-validity, got %d:\n%s%s", r.code, r.out, r.err)
	}
	if e.secret("agentcore-jwt").ResourceVersion != rv {
		t.Fatal("a refused token was written")
	}

	r = e.run(ctx, e.kubeconfig, nil, e.flags("--min-validity", "90s", "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("--min-validity 90s: code %d\n%s%s", r.code, r.out, r.err)
	}
	var res rotate.Result
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || res.Action != rotate.ActionRotated || res.NewExpiry == nil || res.IssuedAt == nil {
		t.Fatalf("-o json: %v %+v", err, res)
	}
	if life := res.NewExpiry.Sub(*res.IssuedAt); life != 2*time.Minute {
		t.Fatalf("the written token lives %s, want the client's 2m", life)
	}
	e.tokenSecret(90 * time.Second)

	for _, bad := range []string{"60s", "89s", "0s"} {
		r = e.run(ctx, e.kubeconfig, nil, e.flags("--min-validity", bad)...)
		if r.code != 2 || !strings.HasPrefix(r.err, "error: --min-validity ") || !strings.Contains(r.err, "at least 1m30s") {
			t.Fatalf("--min-validity %s: want a usage error, got %d:\n%s", bad, r.code, r.err)
		}
	}
}

func testOneShot(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()

	// Dry run: mints and validates, changes nothing.
	before := e.secret("agentcore-jwt")
	r := e.run(ctx, e.kubeconfig, nil, e.flags("--dry-run")...)
	if r.code != 0 || !strings.Contains(r.out, "dry run: would write") || !strings.Contains(r.out, "  ~ update    Secret "+e.ns+"/agentcore-jwt  Authorization: a new id token") {
		t.Fatalf("dry run (with its plan line): code %d\n%s%s", r.code, r.out, r.err)
	}
	if after := e.secret("agentcore-jwt"); after.ResourceVersion != before.ResourceVersion {
		t.Fatal("--dry-run changed the Secret")
	}

	// First rotation: no refresh token stored, so the password is used, and Cognito's refresh token is stored.
	r = e.run(ctx, e.kubeconfig, nil, e.flags()...)
	if r.code != 0 || !strings.Contains(r.out, "rotated "+e.ns+"/agentcore-jwt") || !strings.Contains(r.out, "minted with the password") {
		t.Fatalf("first rotation: code %d\n%s%s", r.code, r.out, r.err)
	}
	s := e.secret("agentcore-jwt")
	tok1 := string(s.Data["Authorization"])
	if err := e.checkValid(tok1, 50*time.Minute); err != nil {
		t.Fatalf("the written token is not valid: %v", err)
	}
	if strings.Contains(r.out, strings.TrimPrefix(tok1, "Bearer ")) || !strings.Contains(r.out, "(redacted,") {
		t.Fatal("the token was printed unmasked")
	}
	if string(s.Data["other"]) != "keep" || s.Labels["team"] != "payments" || s.Annotations["note"] != "hand-made" {
		t.Fatalf("other keys, labels or annotations were lost: %v %v %v", s.Data, s.Labels, s.Annotations)
	}
	if _, err := time.Parse(time.RFC3339, s.Annotations[rotate.AnnotationRotatedAt]); err != nil {
		t.Fatalf("rotated-at annotation: %v", s.Annotations)
	}
	exp, err := time.Parse(time.RFC3339, s.Annotations[rotate.AnnotationTokenExpires])
	if err != nil || time.Until(exp) < 50*time.Minute {
		t.Fatalf("token-expires-at annotation: %v", s.Annotations)
	}
	for _, v := range s.Annotations {
		if strings.Contains(v, "eyJ") {
			t.Fatal("an annotation holds the token")
		}
	}
	creds := e.secret("gw-creds")
	if len(creds.Data["refreshToken"]) == 0 || string(creds.Data["password"]) != e.id.User.Password {
		t.Fatalf("the refresh token from the password sign-in was not stored (or the password was lost): keys %v", slices.Sorted(maps.Keys(creds.Data)))
	}

	// Fresh: nothing minted, nothing written.
	rv := s.ResourceVersion
	r = e.run(ctx, e.kubeconfig, nil, e.flags()...)
	if r.code != 0 || !strings.Contains(r.out, "is fresh") || e.secret("agentcore-jwt").ResourceVersion != rv {
		t.Fatalf("fresh token must be left alone: code %d\n%s%s", r.code, r.out, r.err)
	}

	// Refresh path: remove the password so only the stored refresh token can work.
	creds.Data["password"] = nil
	delete(creds.Data, "password")
	if _, err := e.kube.CoreV1().Secrets(e.ns).Update(ctx, creds, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a new iat/exp second, so the new token differs
	r = e.run(ctx, e.kubeconfig, nil, e.flags("--force", "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("refresh rotation: code %d\n%s%s", r.code, r.out, r.err)
	}
	var res rotate.Result
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.out)
	}
	if res.Action != rotate.ActionRotated || res.Method != rotate.MethodRefresh || res.OldExpiry == nil || res.NewExpiry == nil {
		t.Fatalf("refresh rotation result: %+v", res)
	}
	tok2 := string(e.secret("agentcore-jwt").Data["Authorization"])
	if tok2 == tok1 || e.checkValid(tok2, 50*time.Minute) != nil {
		t.Fatal("the refresh path did not write a new valid token")
	}
	if strings.Contains(r.out, strings.TrimPrefix(tok2, "Bearer ")) {
		t.Fatal("-o json printed the token")
	}
}

// testRecordAndWrongAudience: with the wizard's setup record no flags are needed and the claims are checked
// against the runtime's authorizer (GetAgentRuntime on the fake); when that authorizer wants another audience,
// the token is refused and the Secret is unchanged.
func testRecordAndWrongAudience(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()
	fake := agentcoretest.Start(t, fakeagentcore.Options{})
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.URL)
	rt := agentcoretest.AddRuntime(t, fake, "payments_agent")
	setAuthorizer := func(aud string) {
		t.Helper()
		if err := fake.SetAuthorizerJSON(rt.ID, []byte(`{"customJWTAuthorizer":{"discoveryUrl":"`+cog.DiscoveryURL(e.id.Pool.ID)+`","allowedAudience":["`+aud+`"]}}`)); err != nil {
			t.Fatal(err)
		}
	}
	setAuthorizer(e.id.Client.ID)
	e.saveCognitoRecord(ctx, func(r *setup.Record) { r.RuntimeARN = rt.ARN })

	r := e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns)
	if r.code != 0 || !strings.Contains(r.out, "claims against runtime "+rt.ARN) {
		t.Fatalf("rotation from the record: code %d\n%s%s", r.code, r.out, r.err)
	}
	if fake.Calls("GetAgentRuntime") == 0 {
		t.Fatal("the runtime's authorizer was not read")
	}
	good := e.tokenSecret(50 * time.Minute)
	if len(e.secret(setup.DefaultRecordName + setup.CredentialsSuffix).Data["refreshToken"]) == 0 {
		t.Fatal("the refresh token was not stored in the record's Secret")
	}

	setAuthorizer("someone-else")
	e.refused(ctx, good, "authorizer.audience", "keeps the old token")
}

// testGatewayAuthorizer: a setup whose route leads to an AgentCore Gateway has no runtime ARN; rotate reads the
// gateway's authorizer (GetGateway on the fake) and checks the token against it: a fitting token is written, one
// the gateway's allowedAudience does not take is refused and the Secret is unchanged.
func testGatewayAuthorizer(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()
	fake := agentcoretest.Start(t, fakeagentcore.Options{})
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", fake.URL)
	jwt := func(aud string) []byte {
		return []byte(`{"customJWTAuthorizer":{"discoveryUrl":"` + cog.DiscoveryURL(e.id.Pool.ID) + `","allowedAudience":["` + aud + `"]}}`)
	}
	g, err := fake.AddGatewayJSON([]byte(`{"name":"tools-gw","roleArn":"arn:aws:iam::123456789012:role/gw","protocolType":"MCP","authorizerType":"CUSTOM_JWT",
		"authorizerConfiguration":` + string(jwt(e.id.Client.ID)) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	e.saveCognitoRecord(ctx, func(r *setup.Record) {
		r.Target, r.AgentCoreGateway, r.MCPURL = setup.TargetAgentCoreGateway, g.ARN, fakeagentcore.GatewayURL(fake.URL, g.ID)
	})

	r := e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns)
	if r.code != 0 || !strings.Contains(r.out, "claims against AgentCore Gateway "+g.ARN) {
		t.Fatalf("rotation of a gateway setup: code %d\n%s%s", r.code, r.out, r.err)
	}
	if fake.Calls("GetGateway") == 0 {
		t.Fatal("the gateway's authorizer was not read")
	}
	good := e.tokenSecret(50 * time.Minute)

	if err := fake.SetGatewayAuthorizer(g.ID, fakeagentcore.GatewayAuthCustomJWT, jwt("someone-else")); err != nil {
		t.Fatal(err)
	}
	e.refused(ctx, good, "AgentCore Gateway's authorizer would refuse it", "authorizer.audience")
}

// testConcurrent: ten rotators at once plus another writer adding keys; a watch on the Secret sees only valid
// tokens, every rotator succeeds (conflicts are retried), and every key of the other writer survives.
func testConcurrent(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Start from a valid token so "never invalid" holds from the first event.
	if r := e.run(ctx, e.kubeconfig, nil, e.flags()...); r.code != 0 {
		t.Fatalf("seeding: %s%s", r.out, r.err)
	}
	start := e.secret("agentcore-jwt")
	w, err := e.kube.CoreV1().Secrets(e.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=agentcore-jwt", ResourceVersion: start.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var lastRV atomic.Value // the resourceVersion of the last event the watch delivered
	lastRV.Store("")
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for ev := range w.ResultChan() {
			if ev.Type == watch.Deleted {
				seen = append(seen, "DELETED")
				continue
			}
			if s, ok := ev.Object.(*corev1.Secret); ok {
				seen = append(seen, string(s.Data["Authorization"]))
				lastRV.Store(s.ResourceVersion)
			}
		}
	}()

	var wg sync.WaitGroup
	results := make([]result, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.run(ctx, e.kubeconfig, nil, e.flags("--force")...)
		}()
	}
	// The other writer: adds a key at a time, with its own conflict retries, while the rotators run.
	const otherWrites = 8
	for i := 0; i < otherWrites; i++ {
		for {
			s := e.secret("agentcore-jwt")
			s.Data[fmt.Sprintf("other-%d", i)] = []byte("v")
			_, err := e.kube.CoreV1().Secrets(e.ns).Update(ctx, s, metav1.UpdateOptions{})
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "modified") {
				t.Fatalf("other writer: %v", err)
			}
		}
	}
	wg.Wait()
	// Every writer is done: wait until the watch has delivered the Secret's last change, then stop it.
	last := e.secret("agentcore-jwt").ResourceVersion
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return lastRV.Load() == last, nil
	}); err != nil {
		t.Fatalf("the watch did not deliver the Secret's last change (resourceVersion %s; last seen %v): %v", last, lastRV.Load(), err)
	}
	w.Stop()
	<-watchDone

	rotated, kept, conflicts := 0, 0, 0
	for i, r := range results {
		if r.code != 0 || r.err != "" {
			t.Errorf("rotator %d: code %d\n%s%s", i, r.code, r.out, r.err)
		}
		if strings.Contains(r.out, "✔ rotated") || strings.Contains(r.out, "OK rotated") {
			rotated++
		}
		if strings.Contains(r.out, "it was kept") {
			kept++
		}
		if strings.Contains(r.out, "conflicts") {
			conflicts++
		}
	}
	final := e.secret("agentcore-jwt")
	for i := 0; i < otherWrites; i++ {
		if string(final.Data[fmt.Sprintf("other-%d", i)]) != "v" {
			t.Errorf("the other writer's key other-%d was lost", i)
		}
	}
	if string(final.Data["other"]) != "keep" || final.Labels["team"] != "payments" {
		t.Error("the original keys/labels were lost")
	}
	if err := e.checkValid(string(final.Data["Authorization"]), 50*time.Minute); err != nil {
		t.Fatalf("final token invalid: %v", err)
	}
	if len(seen) < otherWrites {
		t.Fatalf("the watch saw only %d changes", len(seen))
	}
	for i, v := range seen {
		if err := e.checkValid(v, 50*time.Minute); err != nil {
			t.Fatalf("the Secret held an invalid value at change %d: %v", i, err)
		}
	}
	if rotated < 1 || rotated+kept != 10 {
		t.Fatalf("10 rotators: %d wrote, %d kept a newer token; want every one to end in one of the two", rotated, kept)
	}
	t.Logf("10 rotators: %d wrote, %d kept a newer token, %d saw conflicts; the watch saw %d changes, all valid", rotated, kept, conflicts, len(seen))
}

func testBadInput(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx := context.Background()
	unchanged := func(t *testing.T, rv string) {
		t.Helper()
		if e.secret("agentcore-jwt").ResourceVersion != rv {
			t.Fatal("the Secret changed")
		}
	}
	rv := e.secret("agentcore-jwt").ResourceVersion
	oneLine := func(t *testing.T, r result, code int, want ...string) {
		t.Helper()
		if r.code != code || strings.Count(strings.TrimSpace(r.err), "\n") != 0 || !strings.HasPrefix(r.err, "error: ") {
			t.Fatalf("want exit %d and one error line, got %d:\n%s%s", code, r.code, r.out, r.err)
		}
		for _, w := range want {
			if !strings.Contains(r.err, w) {
				t.Fatalf("error lacks %q: %s", w, r.err)
			}
		}
	}

	t.Run("SecretMissing", func(t *testing.T) {
		r := e.run(ctx, e.kubeconfig, nil, e.flags("--secret", "nope")...)
		oneLine(t, r, 1, "reading Secret "+e.ns+"/nope: not found")
	})
	t.Run("RBACForbidsUpdate", func(t *testing.T) {
		role := `get-only`
		if _, err := e.kube.RbacV1().Roles(e.ns).Create(ctx, rbacRole(e.ns, role), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.kube.RbacV1().RoleBindings(e.ns).Create(ctx, rbacBinding(e.ns, role), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		clustertest.WaitAllowed(t, kubernetes.NewForConfigOrDie(e.c.ConfigFor(testcluster.LimitedToken)),
			authorizationv1.ResourceAttributes{Namespace: e.ns, Verb: "get", Resource: "secrets"})
		kc := filepath.Join(t.TempDir(), "limited")
		if err := e.c.WriteKubeconfig(kc, testcluster.LimitedToken, e.ns); err != nil {
			t.Fatal(err)
		}
		r := e.run(ctx, kc, nil, e.flags()...)
		oneLine(t, r, 1, "updating Secret "+e.ns+"/agentcore-jwt: forbidden (cannot update resource secrets)")
		unchanged(t, rv)
	})
	t.Run("CognitoUnreachable", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:1")
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		r := e.run(ctx, e.kubeconfig, nil, e.flags()...)
		oneLine(t, r, 1, "minting a token", "Nothing was written")
		if !strings.Contains(r.err, "connection refused") && !strings.Contains(r.err, "unreachable") {
			t.Fatalf("the error must say Cognito could not be reached: %s", r.err)
		}
		unchanged(t, rv)
	})
	t.Run("StoredCredentialsWrong", func(t *testing.T) {
		e.createSecret("bad-creds", map[string]string{"clientSecret": e.id.Client.Secret, "password": "Wrong-password-1!"}, nil, nil)
		args := e.flags()
		for i, a := range args {
			if a == "gw-creds" {
				args[i] = "bad-creds"
			}
		}
		r := e.run(ctx, e.kubeconfig, nil, args...)
		oneLine(t, r, 1, "minting a token for \"gateway-svc\"", "password", "Nothing was written")
		if strings.Contains(r.err, "Wrong-password-1!") {
			t.Fatal("the password was printed")
		}
		unchanged(t, rv)
	})
	t.Run("NoRecordNoFlags", func(t *testing.T) {
		r := e.run(ctx, e.kubeconfig, nil, "rotate", "-n", e.ns)
		oneLine(t, r, 1, "no setup record in namespace "+e.ns, "--user-pool-id", "--client-id", "--username")
	})
	t.Run("SecretInArgvRefused", func(t *testing.T) {
		r := e.run(ctx, e.kubeconfig, nil, e.flags("--password-from", "hunter2")...)
		oneLine(t, r, 2, "--password-from: the value is not a source", "never accepted as arguments")
		if strings.Contains(r.err, "hunter2") {
			t.Fatal("the literal was echoed")
		}
	})
	t.Run("PasswordFromEnv", func(t *testing.T) {
		e.createSecret("only-secret", map[string]string{"clientSecret": e.id.Client.Secret}, nil, nil)
		t.Setenv("GW_PASSWORD", e.id.User.Password)
		args := e.flags("--password-from", "env:GW_PASSWORD", "--dry-run")
		for i, a := range args {
			if a == "gw-creds" {
				args[i] = "only-secret"
			}
		}
		if r := e.run(ctx, e.kubeconfig, nil, args...); r.code != 0 || !strings.Contains(r.out, "minted with the password") {
			t.Fatalf("password from env: %d\n%s%s", r.code, r.out, r.err)
		}
		r := e.run(ctx, e.kubeconfig, nil, e.flags("--password-from", "env:UNSET_VAR_XYZ")...)
		oneLine(t, r, 1, "env:UNSET_VAR_XYZ: the environment variable is not set")
	})
}

func testWatchJSON(t *testing.T, cog *cognitolocal.Server) {
	e := newEnv(t, cog, t.Name())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var kinds []rotate.EventKind
	o := &rotatecmd.Options{WatchHook: func(ev rotate.Event) {
		mu.Lock()
		kinds = append(kinds, ev.Kind)
		mu.Unlock()
		if ev.Kind == rotate.EventRotated || ev.Kind == rotate.EventFailed {
			cancel() // like SIGTERM after the first rotation
		}
	}}
	done := make(chan result, 1)
	go func() { done <- e.run(ctx, e.kubeconfig, o, e.flags("--watch", "--log-format", "json")...) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("watch did not stop after cancellation")
	}
	if r.code != 0 {
		t.Fatalf("watch: code %d\n%s%s", r.code, r.out, r.err)
	}
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	var msgs []string
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		msgs = append(msgs, fmt.Sprint(m["msg"]))
		if m["msg"] == "token rotated" {
			life, err1 := time.ParseDuration(fmt.Sprint(m["lifetime"]))
			th, err2 := time.ParseDuration(fmt.Sprint(m["rotateWhenLeft"]))
			if err1 != nil || err2 != nil || life < time.Hour || th != rotate.Threshold(life) {
				t.Fatalf("the rotated line must give the new token's lifetime and when it is rotated: %s", l)
			}
		}
		if strings.Contains(l, "eyJ") && !strings.Contains(l, "redacted") {
			t.Fatalf("a token in the log: %s", l)
		}
	}
	want := []string{"watching", "token rotated", "stopped"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("log lines %v, want %v", msgs, want)
	}
	e.tokenSecret(50 * time.Minute)
}
