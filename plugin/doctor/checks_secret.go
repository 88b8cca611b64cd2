package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/bearer"
	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	corev1 "k8s.io/api/core/v1"
)

// Secret check ids.
const (
	IDSecretPresent = "secret.present"
	IDSecretKey     = "secret.authorization-key"
	IDSecretBearer  = "secret.bearer-form"
	IDSecretJWT     = "secret.jwt"
)

func (d *Doctor) secretChecks() []Check {
	st := d.st
	value := func(ctx context.Context) (*target, string, bool, error) {
		t, err := st.target.get(ctx)
		if err != nil {
			return nil, "", false, err
		}
		s, err := st.secret.get(ctx)
		if err != nil {
			return t, "", false, err
		}
		v, ok := k8sres.SecretValue(s, t.secretKey)
		return t, v, ok, nil
	}
	if m := d.planMode(); m != "" {
		// The caller's token (or one exchanged for it) is sent: there is no token Secret to check.
		gone := func(context.Context) Outcome { return skip(callerReason(m)) }
		after := []string{IDResourcesSetup}
		return []Check{
			{ID: IDSecretPresent, Category: CatSecret, Title: "Secret exists", Deps: after, Run: gone},
			{ID: IDSecretKey, Category: CatSecret, Title: "Authorization key", Deps: after, Run: gone},
			{ID: IDSecretBearer, Category: CatSecret, Title: "Bearer form", Deps: after, Run: gone},
			{ID: IDSecretJWT, Category: CatSecret, Title: "holds a JWT", Deps: after, Run: gone},
		}
	}
	return []Check{
		{ID: IDSecretPresent, Category: CatSecret, Title: "Secret exists", Deps: []string{IDResourcesSetup}, Run: func(ctx context.Context) Outcome {
			t, err := st.target.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if s := t.tokenSource(); t.secretRef.IsZero() && s != tokencheck.SourceSecret {
				return skip(callerReason(s))
			}
			if t.secretRef.IsZero() {
				if t.mode == modeSigV4 {
					return skip("sigv4 mode: the proxy signs with its AWS credentials; there is no token Secret")
				}
				return fail("no Secret: neither a policy's backend.auth.secretRef nor the backend's policies.auth.secretRef names one",
					"Without it the gateway sends no token and AgentCore answers 401. Pass --secret NS/NAME if it exists.", "kubectl agentcore wizard")
			}
			s, err := st.secret.get(ctx)
			if err != nil {
				return fail(err.Error(), fmt.Sprintf("The gateway reads the token from Secret %s (named by the %s); while it is missing the policy is PartiallyValid and calls get 401.", t.secretRef, t.secretSource),
					"kubectl agentcore rotate")
			}
			return pass("Secret %s (keys %s)", t.secretRef, strings.Join(secretKeys(s), ", "))
		}},
		{ID: IDSecretKey, Category: CatSecret, Title: "Authorization key", Deps: []string{IDSecretPresent}, Run: func(ctx context.Context) Outcome {
			t, v, ok, err := value(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if !ok {
				s, _ := st.secret.get(ctx)
				slip, fix := bearer.MissingKey(t.secretRef.String(), t.secretKey, secretKeys(s))
				return fail(slip.Detail, slip.Hint, fix)
			}
			if strings.TrimSpace(v) == "" {
				return fail(fmt.Sprintf("Secret %s key %q is empty", t.secretRef, t.secretKey), "Put `Bearer <jwt>` in it.", "kubectl agentcore rotate")
			}
			return pass("key %q present (%d bytes)", t.secretKey, len(v))
		}},
		{ID: IDSecretBearer, Category: CatSecret, Title: "Bearer form", Deps: []string{IDSecretKey}, Run: func(ctx context.Context) Outcome {
			t, v, _, err := value(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			return bearerForm(t.secretKey, v)
		}},
		{ID: IDSecretJWT, Category: CatSecret, Title: "holds a JWT", Deps: []string{IDSecretBearer}, Run: func(ctx context.Context) Outcome {
			t, v, _, err := value(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			tok := bearer.Token(v)
			if strings.Count(tok, ".") != 2 || !strings.HasPrefix(tok, "eyJ") {
				return fail(fmt.Sprintf("Secret %s holds %s, which is not a JWT (three base64url parts, header first)", t.secretRef, describeNonJWT(tok)),
					"The gateway must send a JWT from the identity provider the runtime trusts.", "kubectl agentcore rotate")
			}
			return pass("Authorization: Bearer %s", redact.Token(tok))
		}},
	}
}

// bearerForm checks the shape of an Authorization value stored under key: the first slip (the ones that break
// calls first) fails or warns with its wording from internal/bearer, which token inspect and doctor's offline
// token check share.
func bearerForm(key, v string) Outcome {
	slips := bearer.Inspect(key, v)
	if len(slips) == 0 {
		if key != bearer.Key {
			return pass("key %q: a bare token (the gateway adds `Bearer `)", key)
		}
		return pass("Authorization: Bearer <token>")
	}
	s := slips[0]
	if s.Breaks {
		return fail(s.Detail, s.Hint, "kubectl agentcore rotate")
	}
	return warn(s.Detail, s.Hint, "")
}

// secretKeys lists a Secret's keys (data and stringData), sorted.
func secretKeys(s *corev1.Secret) []string {
	if s == nil {
		return nil
	}
	keys := make([]string, 0, len(s.Data)+len(s.StringData))
	for k := range s.Data {
		keys = append(keys, k)
	}
	for k := range s.StringData {
		if _, dup := s.Data[k]; !dup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func describeNonJWT(s string) string {
	switch {
	case s == "":
		return "nothing"
	case strings.Count(s, ".") != 2:
		return fmt.Sprintf("%d dot-separated parts", strings.Count(s, ".")+1)
	}
	return "something whose header does not decode to a JSON object"
}
