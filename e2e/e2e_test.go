package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/kubectl-agentcore/kubectl-agentcore/awsops"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/jwtparts"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/sandbox"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var gvrRoute = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}

func echoARN() string { return sb.State.Runtimes[sandbox.EchoRuntime] }
func iamARN() string  { return sb.State.Runtimes[sandbox.IAMRuntime] }

func runtimeID(arn string) string {
	a, err := awsops.ParseRuntimeARN(arn)
	if err != nil {
		panic(err)
	}
	return a.RuntimeID
}

// wizard runs the non-interactive wizard for the echo runtime in mode.
func wizard(t *testing.T, mode string, extra ...string) {
	t.Helper()
	r := kac(t, append([]string{"wizard", "--non-interactive", "--yes", "--mode", mode, "--runtime-arn", echoARN()}, extra...)...)
	if r.code != 0 {
		t.Fatalf("wizard --mode %s: %s", mode, r)
	}
}

// setupNS is the namespace of the setup the helpers (record, mint, putToken) work on.
var setupNS = setup.DefaultNamespace

func record(t *testing.T) *setup.Record {
	t.Helper()
	rec, err := setup.Load(context.Background(), sb.Cluster.Kube(), setupNS)
	if err != nil {
		t.Fatalf("reading the setup record: %v", err)
	}
	return rec
}

func cognito() *awsops.Cognito { return awsops.NewCognito(sb.Cognito.AWSConfig()) }

// mint signs in as the setup's service user and returns the tokens.
func mint(t *testing.T) awsops.Tokens {
	t.Helper()
	rec := record(t)
	cred, err := setup.LoadCredentials(context.Background(), sb.Cluster.Kube(), rec)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cognito().MintWithPassword(context.Background(), awsops.MintRequest{PoolID: rec.UserPoolID, ClientID: rec.ClientID,
		ClientSecret: cred.ClientSecret, Username: rec.Username, Password: cred.Password})
	if err != nil {
		t.Fatalf("minting: %v", err)
	}
	return tok
}

// putToken writes "Bearer <tok>" into the gateway's Secret.
func putToken(t *testing.T, tok string) {
	t.Helper()
	rec := record(t)
	sc := sb.Cluster.Kube().CoreV1().Secrets(rec.Namespace)
	s, err := sc.Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Data["Authorization"] = []byte("Bearer " + tok)
	if _, err := sc.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// secretData is the gateway Secret's data now; setSecretData replaces it.
func secretData(t *testing.T) map[string][]byte {
	t.Helper()
	rec := record(t)
	s, err := sb.Cluster.Kube().CoreV1().Secrets(rec.Namespace).Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Data
}

func setSecretData(t *testing.T, data map[string][]byte) {
	t.Helper()
	rec := record(t)
	sc := sb.Cluster.Kube().CoreV1().Secrets(rec.Namespace)
	s, err := sc.Get(context.Background(), rec.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Data = data
	if _, err := sc.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// invokeOK calls through the gateway until the echo answers (the stand-in sees changes asynchronously).
func invokeOK(t *testing.T, prompt string) {
	t.Helper()
	var last result
	eventually(t, 30*time.Second, func() string {
		last = kac(t, "invoke", prompt)
		if last.code == 0 && strings.Contains(last.stdout, "echo: "+prompt) {
			return ""
		}
		return "invoke did not get the echo reply: " + last.String()
	})
}

// invokeFails calls through the gateway until it fails with want (e.g. "HTTP 401") and returns the error line.
func invokeFails(t *testing.T, want string) string {
	t.Helper()
	var last result
	eventually(t, 30*time.Second, func() string {
		last = kac(t, "invoke", "are you there")
		if last.code == 1 && strings.Contains(last.stderr, want) {
			return ""
		}
		return "invoke should fail with " + want + ": " + last.String()
	})
	return last.stderr
}

// logsShow waits until `logs` shows an access line for the setup's route with status since t0.
func logsShow(t *testing.T, status int, t0 time.Time) logLine {
	t.Helper()
	var found logLine
	eventually(t, 30*time.Second, func() string {
		lines := logLines(t, "--route", "agentcore/agentcore", "--status", fmt.Sprint(status), "--since", "10m")
		var latest time.Time
		for _, l := range lines {
			ts, _ := time.Parse(time.RFC3339Nano, l.Time)
			if l.Status == status && !ts.Before(t0) && ts.After(latest) {
				found, latest = l, ts
			}
		}
		if !latest.IsZero() {
			return ""
		}
		return fmt.Sprintf("logs shows no %d for agentcore/agentcore since %s (%d lines)", status, t0.Format(time.RFC3339), len(lines))
	})
	return found
}

// 1. Wizard (rewrite, then native) → doctor all pass → invoke 200 with the echo → logs shows the 200.
func TestWizardDoctorInvokeLogs(t *testing.T) {
	need(t)
	for _, mode := range []string{"rewrite", "native"} {
		t.Run(mode, func(t *testing.T) {
			wizard(t, mode)
			rec := record(t)
			if string(rec.Mode) != mode || rec.RuntimeARN != echoARN() {
				t.Fatalf("record says mode %s runtime %s", rec.Mode, rec.RuntimeARN)
			}
			var checks map[string]check
			eventually(t, 30*time.Second, func() string {
				var r result
				checks, r = doctorChecks(t, "--probe")
				if f := failed(checks); len(f) > 0 || r.code != 0 {
					return fmt.Sprintf("doctor after the wizard (%s) fails %v: %s", mode, f, r)
				}
				return ""
			})
			for _, id := range []string{"resources.route", "resources.backend", "resources.policy", "resources.rewrite", "secret.present",
				"token.signature", "authorizer.mode", "authorizer.issuer", "authorizer.audience", "probe.gateway", "probe.direct"} {
				if checks[id].Status != "pass" {
					t.Errorf("%s: %s (%s)", id, checks[id].Status, checks[id].Detail)
				}
			}
			t0 := time.Now()
			prompt := "hello from the " + mode + " e2e test"
			invokeOK(t, prompt)
			l := logsShow(t, 200, t0)
			if l.Path != rec.PathPrefix {
				t.Errorf("the 200 line's path is %q, want %q", l.Path, rec.PathPrefix)
			}
			// streaming through the gateway
			r := kac(t, "invoke", "--stream", "stream me")
			if r.code != 0 || !strings.Contains(r.stdout, `{"text":"stream "}`) || !strings.Contains(r.stdout, "[DONE]") {
				t.Errorf("invoke --stream: %s", r)
			}
			// --direct: AgentCore itself, no token → 401
			r = kac(t, "invoke", "--direct", "hi")
			if r.code != 1 || !strings.Contains(r.stderr, "HTTP 401") || !strings.Contains(r.stderr, "the gateway prevents") {
				t.Errorf("invoke --direct: %s", r)
			}
		})
	}
}

// 2. The ways users break it: doctor names the cause by check id, invoke and logs show the 401/403. The statuses
// doctor reads are the real Agent Gateway controller's (the sandbox serves the open-source kinds only).
func TestBreakages(t *testing.T) {
	need(t)
	wizard(t, "rewrite")
	invokeOK(t, "baseline")
	ctx := context.Background()
	kube := sb.Cluster.Kube()

	var savedAuthorizer []byte
	var savedSecret map[string][]byte
	restoreSecret := func(t *testing.T) { setSecretData(t, savedSecret) }
	restoreByRotate := func(t *testing.T) {
		r := kac(t, "rotate", "--force")
		if r.code != 0 {
			t.Fatalf("rotate --force to restore: %s", r)
		}
	}

	cases := []struct {
		name     string
		breakIt  func(t *testing.T)
		restore  func(t *testing.T)
		checks   []string // doctor must fail at least one of these
		also     []string // and must fail all of these
		invoke   string   // what invoke's error must say
		status   int
		logError string
	}{{
		name:    "access token instead of ID token",
		breakIt: func(t *testing.T) { putToken(t, mint(t).AccessToken) },
		restore: restoreByRotate,
		checks:  []string{"authorizer.audience"}, invoke: "authorizer.audience", status: 401, logError: "Claim 'aud'",
	}, {
		name: "expired token",
		breakIt: func(t *testing.T) {
			tok := mintWithValidity(t, 2, ciptypes.TimeUnitsTypeSeconds)
			claims, _ := jwtparts.Claims(tok)
			exp := time.Unix(int64(claims["exp"].(float64)), 0)
			time.Sleep(time.Until(exp) + 1500*time.Millisecond)
			putToken(t, tok)
		},
		restore: restoreByRotate,
		checks:  []string{"token.expired"}, invoke: "token.expired", status: 401, logError: "expired",
	}, {
		name:    "token from another pool",
		breakIt: func(t *testing.T) { putToken(t, otherPoolToken(t)) },
		restore: restoreByRotate,
		checks:  []string{"authorizer.issuer", "token.signature"}, invoke: "HTTP 401", status: 401, logError: "iss",
	}, {
		name: "Secret deleted",
		breakIt: func(t *testing.T) {
			rec := record(t)
			if err := kube.CoreV1().Secrets(rec.Namespace).Delete(ctx, rec.SecretName, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			// the policy turns PartiallyValid with the error, as the controller would say
			eventually(t, 30*time.Second, func() string {
				p, err := sb.Cluster.Dynamic().Resource(policyGVR(rec)).Namespace(rec.Namespace).Get(ctx, rec.PolicyName, metav1.GetOptions{})
				if err != nil {
					return err.Error()
				}
				b, _ := json.Marshal(p.Object["status"])
				if !strings.Contains(string(b), `"reason":"PartiallyValid"`) || !strings.Contains(string(b), rec.SecretName+" not found") {
					return "policy status is not PartiallyValid: " + string(b)
				}
				return ""
			})
		},
		restore: func(t *testing.T) { wizard(t, "rewrite") },
		checks:  []string{"secret.present"}, also: []string{"resources.policy"}, invoke: "secret.present", status: 401, logError: "Bearer token is required",
	}, {
		name: "authorizer reset to IAM",
		breakIt: func(t *testing.T) {
			savedAuthorizer = sb.Fake.Spec(runtimeID(echoARN()))["authorizerConfiguration"]
			if err := sb.Fake.SetAuthorizerJSON(runtimeID(echoARN()), nil); err != nil {
				t.Fatal(err)
			}
		},
		restore: func(t *testing.T) {
			if err := sb.Fake.SetAuthorizerJSON(runtimeID(echoARN()), savedAuthorizer); err != nil {
				t.Fatal(err)
			}
		},
		checks: []string{"authorizer.mode"}, invoke: "authorizer.mode", status: 403, logError: "Authorization method mismatch",
	}, {
		name: "route pointing at another ARN",
		breakIt: func(t *testing.T) {
			rec := record(t)
			rc := sb.Cluster.Dynamic().Resource(gvrRoute).Namespace(rec.Namespace)
			route, err := rc.Get(ctx, rec.RouteName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(route.Object["spec"])
			good := mustARN(echoARN()).InvocationPath()
			if !strings.Contains(string(b), good) {
				t.Fatalf("route does not rewrite to %s: %s", good, b)
			}
			var spec map[string]any
			_ = json.Unmarshal([]byte(strings.ReplaceAll(string(b), good, mustARN(iamARN()).InvocationPath())), &spec)
			route.Object["spec"] = spec
			if _, err := rc.Update(ctx, route, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		restore: func(t *testing.T) { wizard(t, "rewrite") },
		checks:  []string{"resources.rewrite"}, invoke: "HTTP 403", status: 403, logError: "Authorization method mismatch",
	}, {
		// The gateway reads the key "Authorization" only: nothing is sent, and the controller says PartiallyValid
		// "secret <ns>/<name> missing Authorization value".
		name: "lower-case authorization key",
		breakIt: func(t *testing.T) {
			savedSecret = secretData(t)
			setSecretData(t, map[string][]byte{"authorization": savedSecret["Authorization"]})
		},
		restore: restoreSecret,
		checks:  []string{"secret.authorization-key"}, also: []string{"resources.policy"}, invoke: "secret.authorization-key", status: 401,
		logError: "Bearer token is required",
	}, {
		// One "Bearer " is stripped and one added: AgentCore gets "Bearer Bearer <jwt>".
		name: "Bearer Bearer",
		breakIt: func(t *testing.T) {
			savedSecret = secretData(t)
			setSecretData(t, map[string][]byte{"Authorization": append([]byte("Bearer "), savedSecret["Authorization"]...)})
		},
		restore: restoreSecret,
		checks:  []string{"secret.bearer-form"}, invoke: "secret.bearer-form", status: 401, logError: "Invalid Bearer token",
	}}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t0 := time.Now()
			c.breakIt(t)
			var checks map[string]check
			eventually(t, 30*time.Second, func() string {
				var r result
				checks, r = doctorChecks(t)
				if r.code != 3 {
					return "doctor should exit 3: " + r.String()
				}
				hit := false
				for _, id := range c.checks {
					hit = hit || checks[id].Status == "fail"
				}
				for _, id := range c.also {
					if checks[id].Status == "pass" {
						return fmt.Sprintf("doctor passes %s: %+v", id, checks[id])
					}
				}
				if !hit {
					return fmt.Sprintf("doctor fails %v, none of %v", failed(checks), c.checks)
				}
				return ""
			})
			t.Logf("doctor fails %v", failed(checks))
			msg := invokeFails(t, c.invoke)
			if !strings.Contains(msg, fmt.Sprintf("HTTP %d", c.status)) {
				t.Errorf("invoke: %s", msg)
			}
			l := logsShow(t, c.status, t0)
			if !strings.Contains(l.Error, c.logError) {
				t.Errorf("the %d access line's error is %q, want it to mention %q", c.status, l.Error, c.logError)
			}
			c.restore(t)
			invokeOK(t, "fixed after "+c.name)
		})
	}
}

func policyGVR(rec *setup.Record) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(rec.PolicyAPIVersion)
	return gv.WithResource(strings.ToLower(rec.PolicyKind[:len(rec.PolicyKind)-1]) + "ies")
}

func mustARN(s string) awsops.RuntimeARN {
	a, err := awsops.ParseRuntimeARN(s)
	if err != nil {
		panic(err)
	}
	return a
}

// setClientValidity sets the app client's ID/access token validity and returns a function restoring the old one.
func setClientValidity(t *testing.T, n int32, unit ciptypes.TimeUnitsType) func() {
	t.Helper()
	rec := record(t)
	c := cognito()
	ctx := context.Background()
	_, desc, err := c.DescribeAppClient(ctx, rec.UserPoolID, rec.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	orig := awsops.UpdateClientInputFromDescribe(desc)
	// cognito-local keeps a value an update leaves out: restore explicit values (Cognito's default is 1 hour).
	if orig.IdTokenValidity == nil || orig.AccessTokenValidity == nil || orig.TokenValidityUnits == nil {
		orig.IdTokenValidity, orig.AccessTokenValidity = aws.Int32(60), aws.Int32(60)
		orig.TokenValidityUnits = &ciptypes.TokenValidityUnitsType{IdToken: ciptypes.TimeUnitsTypeMinutes, AccessToken: ciptypes.TimeUnitsTypeMinutes, RefreshToken: ciptypes.TimeUnitsTypeDays}
	}
	in := awsops.UpdateClientInputFromDescribe(desc)
	in.IdTokenValidity, in.AccessTokenValidity = aws.Int32(n), aws.Int32(n)
	in.TokenValidityUnits = &ciptypes.TokenValidityUnitsType{IdToken: unit, AccessToken: unit, RefreshToken: ciptypes.TimeUnitsTypeDays}
	if _, err := c.API.UpdateUserPoolClient(ctx, in); err != nil {
		t.Fatalf("setting the client's token validity: %v", err)
	}
	return func() {
		if _, err := c.API.UpdateUserPoolClient(context.Background(), orig); err != nil {
			t.Errorf("restoring the client's token validity: %v", err)
		}
	}
}

// mintWithValidity mints an ID token that lives n units.
func mintWithValidity(t *testing.T, n int32, unit ciptypes.TimeUnitsType) string {
	t.Helper()
	restore := setClientValidity(t, n, unit)
	defer restore()
	tok := mint(t).IDToken
	claims, err := jwtparts.Claims(tok)
	if err != nil {
		t.Fatal(err)
	}
	exp, iat := claims["exp"].(float64), claims["iat"].(float64)
	want := float64(n)
	if unit == ciptypes.TimeUnitsTypeMinutes {
		want *= 60
	}
	if exp-iat != want {
		t.Fatalf("cognito-local issued a token living %vs, asked for %vs", exp-iat, want)
	}
	return tok
}

// otherPoolToken creates a second pool (removed at test end) and returns an ID token from it.
func otherPoolToken(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	api := cognito().API
	pool, err := api.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("e2e-other-pool")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	t.Cleanup(func() {
		_, _ = api.DeleteUserPool(context.Background(), &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
	})
	cl, err := api.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("other"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("someone"), MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	pw := "Other-pool-pw-9!x"
	if _, err := api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("someone"), Password: aws.String(pw), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	tok, err := cognito().MintWithPassword(ctx, awsops.MintRequest{PoolID: poolID, ClientID: aws.ToString(cl.UserPoolClient.ClientId), Username: "someone", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return tok.IDToken
}
