package doctor

import (
	"context"
	"fmt"

	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
)

// IDTokenRenewal is the renewal status the renewers (the rotation service, rotate --watch, one-shot rotate) keep
// on the setup record (docs/rotation-service.md): a token that expires is the first 401 of a setup nobody renews.
const IDTokenRenewal = "token.renewal"

// renewalCheck reads the record's renewal status: failing renewals and overdue ones warn (the stored token still
// works until its exp, which the other token checks judge); a setup no renewer has looked at says so. It is
// planned for the Secret's token only: not offline, not for a token given on the command line, not for the
// callers' own tokens.
func (d *Doctor) renewalCheck() Check {
	st := d.st
	return Check{ID: IDTokenRenewal, Category: CatToken, Title: "renewal", Deps: []string{IDTokenMalformed}, Run: func(ctx context.Context) Outcome {
		rec, err := st.record.get(ctx)
		switch {
		case err != nil || rec == nil:
			return skip("no setup record: the renewal status is kept on it")
		case !rec.Mode.UsesToken():
			return skip("mode " + string(rec.Mode) + ": the gateway holds no token to renew")
		case rec.IdentityProvider == setup.IdPExternal && !rec.ClientCredentials():
			o := skip("the token was pasted from the identity provider (wizard --token-file): nothing here can renew it")
			o.Hint = "Let the plugin mint and renew it by client credentials (the fix), or put a new one in with the wizard's --token-file before it expires."
			o.Fix = fmt.Sprintf("kubectl agentcore wizard -n %s --identity external --discovery-url %s --client-id ID --client-secret-from env:VAR --audience API", rec.Namespace, rec.DiscoveryURL)
			return o
		}
		now := d.deps.Now()
		s := rotate.StatusFrom(rec.Annotations)
		left := ""
		if tok, err := st.token.get(ctx); err == nil && tok.ExpiresAt != nil {
			if l := tok.ExpiresAt.Sub(now); l > 0 {
				left = "; the stored token still works for " + style.Short(l)
			} else {
				left = "; the stored token has expired"
			}
		}
		by := ""
		if s.By != "" {
			by = " by " + s.By
		}
		retry := "kubectl agentcore rotate -n " + rec.Namespace + " --force"
		service := "kubectl agentcore rotate --print-manifests --all -n " + rec.Namespace + " | kubectl apply -f -"
		switch {
		case s.Failing():
			n := ""
			if s.Failures > 0 {
				n = fmt.Sprintf(" (%d in a row)", s.Failures)
			}
			next := ""
			if !s.Next.IsZero() && s.Next.After(now) {
				next = ", next try in " + style.Short(s.Next.Sub(now))
			}
			return warn(fmt.Sprintf("the last renewal%s failed%s%s: %s%s", by, n, next, s.LastError, left),
				"The renewer retries with backoff until the token expires; fix the cause above, then renew now with the fix command (it also clears this status).", retry)
		case s.Overdue(now) > 0:
			return warn(fmt.Sprintf("renewal overdue by %s (due %s%s)%s", style.Short(s.Overdue(now)), s.Next.UTC().Format("15:04 MST"), by, left),
				"Nothing has renewed the token since it was due: is the rotation service running (kubectl get pods -l app.kubernetes.io/name=kubectl-agentcore -A)? A one-shot rotate also records when the next renewal is due.", service)
		case !s.LastRotation.IsZero():
			o := pass("renewed %s ago%s", style.Short(now.Sub(s.LastRotation)), by)
			if !s.Next.IsZero() {
				o.Detail += "; next due in " + style.Short(max(s.Next.Sub(now), 0))
			}
			return o
		case !s.Next.IsZero():
			o := pass("not renewed yet; next renewal due in %s", style.Short(max(s.Next.Sub(now), 0)))
			if s.By != "" {
				o.Detail += " (scheduled by " + s.By + ")"
			}
			return o
		}
		o := skip("no renewal recorded: no rotation service or rotate --watch has looked at this setup, so nothing renews its token before it expires" + left)
		o.Hint, o.Fix = "Run the rotation service in the cluster (the fix), or rotate --watch.", service
		return o
	}}
}
