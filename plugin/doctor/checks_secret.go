package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
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
	return []Check{
		{ID: IDSecretPresent, Category: CatSecret, Title: "Secret exists", Deps: []string{IDResourcesSetup}, Run: func(ctx context.Context) Outcome {
			t, err := st.target.get(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
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
			keys := make([]string, 0, len(s.Data))
			for k := range s.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return pass("Secret %s (keys %s)", t.secretRef, strings.Join(keys, ", "))
		}},
		{ID: IDSecretKey, Category: CatSecret, Title: "Authorization key", Deps: []string{IDSecretPresent}, Run: func(ctx context.Context) Outcome {
			t, v, ok, err := value(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			if !ok {
				return fail(fmt.Sprintf("Secret %s has no %q key", t.secretRef, t.secretKey),
					fmt.Sprintf("backend.auth.secretRef reads the key %q: the policy is PartiallyValid without it.", t.secretKey), "kubectl agentcore rotate")
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
			return bearerForm(t.secretRef.String(), v)
		}},
		{ID: IDSecretJWT, Category: CatSecret, Title: "holds a JWT", Deps: []string{IDSecretBearer}, Run: func(ctx context.Context) Outcome {
			t, v, _, err := value(ctx)
			if err != nil {
				return fail(err.Error(), "", "")
			}
			tok := strings.TrimSpace(v)
			if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
				tok = strings.TrimSpace(tok[7:])
			}
			if strings.Count(tok, ".") != 2 || !strings.HasPrefix(tok, "eyJ") {
				return fail(fmt.Sprintf("Secret %s holds %s, which is not a JWT (three base64url parts, header first)", t.secretRef, describeNonJWT(tok)),
					"The gateway must send a JWT from the identity provider the runtime trusts.", "kubectl agentcore rotate")
			}
			return pass("Authorization: Bearer %s", redact.Token(tok))
		}},
	}
}

// bearerForm checks the shape of an Authorization value.
func bearerForm(ref, v string) Outcome {
	switch {
	case strings.HasSuffix(v, "\n") || strings.HasSuffix(v, "\r") || strings.HasSuffix(v, " "):
		return fail(fmt.Sprintf("the value in %s ends with whitespace (a newline from echo?)", ref),
			"A header value with a trailing newline is invalid; write it with printf '%s', not echo.", "kubectl agentcore rotate")
	case strings.HasPrefix(v, "Bearer ") && !strings.HasPrefix(v, "Bearer  "):
		return pass("Authorization: Bearer <token>")
	case len(v) > 7 && strings.EqualFold(v[:7], "bearer "):
		return warn(fmt.Sprintf("the scheme is written %q, not \"Bearer\"", strings.TrimSpace(v[:7])),
			"Write exactly `Bearer <jwt>` (one space).", "kubectl agentcore rotate")
	case strings.HasPrefix(v, "eyJ"):
		return warn("the value is a bare token without the `Bearer ` prefix",
			"Agent Gateway adds the prefix itself, so this works; other readers of the Secret expect `Bearer <jwt>`.", "")
	}
	scheme, _, _ := strings.Cut(v, " ")
	if len(scheme) > 12 {
		scheme = scheme[:12] + "…"
	}
	return fail(fmt.Sprintf("the value uses the %q scheme, not Bearer", redact.Text(scheme)),
		"AgentCore's JWT authorizer takes `Authorization: Bearer <jwt>` only.", "kubectl agentcore rotate")
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
