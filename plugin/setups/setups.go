// Package setups is the home screen's list of setups: one row per setup record with its mode, identity and
// target, the time the gateway's token has left (the exp claim of the token Secret; the token itself never
// leaves this package), the rotation service's status annotations (docs/rotation-service.md) and, filled in
// later because it is slow, the doctor's ✔ ‼ ✖ counts.
package setups

import (
	"context"
	"sort"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/k8sres"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/doctor"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/rotate"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/setup"
	"github.com/kubectl-agentcore/kubectl-agentcore/plugin/tokencheck"
	"github.com/kubectl-agentcore/kubectl-agentcore/tui/style"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Row is one setup.
type Row struct {
	Setup     string `json:"setup"` // namespace/name of the record
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Mode      string `json:"mode"`
	Identity  string `json:"identity"` // the record's identity provider
	Target    string `json:"target"`   // runtime or agentcore-gateway

	// TokenExpires is the exp of the token the Secret holds (zero when unknown: TokenNote says why).
	TokenExpires time.Time `json:"tokenExpires,omitzero"`
	TokenNote    string    `json:"tokenNote,omitempty"`

	// Rotation is what the rotation service wrote on the record (zero when it never ran).
	Rotation rotate.RecordStatus `json:"rotation"`

	// Doctor is the doctor's counts, when it was run (DoctorStatus; nil otherwise).
	Doctor *doctor.Summary `json:"doctor,omitempty"`
}

// TokenState is how urgent a row's token is.
type TokenState int

// Token states.
const (
	TokenFine    TokenState = iota
	TokenUnknown            // no expiry known: the note says why
	TokenSoon               // under SoonWithin left
	TokenExpired
)

// SoonWithin is how much time left makes a token's column stand out.
const SoonWithin = 10 * time.Minute

// Token is the TOKEN column in words ("23h left", "expired 5m ago", or the note) and how urgent it is: the
// setups screen and the setups command say it alike.
func (r Row) Token(now time.Time) (string, TokenState) {
	if r.TokenExpires.IsZero() {
		return r.TokenNote, TokenUnknown
	}
	left := r.TokenExpires.Sub(now)
	switch {
	case left <= 0:
		return "expired " + style.Short(-left) + " ago", TokenExpired
	case left < SoonWithin:
		return style.Short(left) + " left", TokenSoon
	}
	return style.Short(left) + " left", TokenFine
}

// Rotated is the ROTATED column: when the rotation service last renewed the token ("never" when it has not, "—"
// for a setup without a token of its own).
func (r Row) Rotated(now time.Time) string {
	if r.Rotation.LastRotation.IsZero() {
		if r.TokenNote == NoteNoToken || r.TokenNote == NoteCallerToken {
			return "—"
		}
		return "never"
	}
	return style.Short(now.Sub(r.Rotation.LastRotation)) + " ago"
}

// NextDue is the NEXT column: when the rotation service renews the token next ("—" when it has not said), or
// after a failed renewal when it tries again ("retry in 4s").
func (r Row) NextDue(now time.Time) string {
	at := r.Rotation.Next
	if at.IsZero() {
		return "—"
	}
	prefix := ""
	if r.Failing() {
		prefix = "retry "
	}
	if d := at.Sub(now); d > 0 {
		return prefix + "in " + style.Short(d)
	}
	return prefix + "overdue " + style.Short(now.Sub(at))
}

// Failing reports whether the last renewal failed (the rotation status has an error or a failure count).
func (r Row) Failing() bool { return r.Rotation.Failing() }

// Token notes.
const (
	NoteNoToken      = "no token (sigv4)"
	NoteCallerToken  = "the callers' own" // passthrough and exchange: the gateway holds no token
	NoteNoSecret     = "no Secret"
	NoteUnreadable   = "Secret unreadable"
	NoteNotJWT       = "not a JWT"
	NoteNoExpiry     = "no exp"
	NoteSecretNoKey  = "no " + setup.SecretKey + " key"
	NoteForbiddenGet = "Secret forbidden"
)

// List returns the setups of namespace ("" = every namespace), sorted by namespace/name. Records that cannot be
// read are left out, as setup.List does.
func List(ctx context.Context, kube kubernetes.Interface, namespace string) ([]Row, error) {
	list, err := kube.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{LabelSelector: setup.RecordSelector()})
	if err != nil {
		return nil, k8sres.Explain("listing setup records (ConfigMaps labelled "+setup.LabelComponent+"="+setup.ComponentRecord+")", err)
	}
	var out []Row
	for i := range list.Items {
		cm := &list.Items[i]
		rec, err := setup.FromConfigMap(cm)
		if err != nil {
			continue
		}
		r := rec.WithDefaults()
		target := r.Target
		if target == "" {
			target = setup.TargetRuntime
		}
		row := Row{Setup: r.Ref(), Namespace: r.Namespace, Name: r.Name, Mode: string(r.Mode),
			Identity: r.IdentityProvider, Target: target, Rotation: rotate.ReadStatus(cm)}
		row.TokenExpires, row.TokenNote = tokenExpiry(ctx, kube, r)
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Setup < out[j].Setup })
	return out, nil
}

// tokenExpiry reads the exp of the token in the record's Secret; only the expiry leaves this function.
func tokenExpiry(ctx context.Context, kube kubernetes.Interface, r setup.Record) (time.Time, string) {
	if r.Mode.CallerToken() {
		return time.Time{}, NoteCallerToken
	}
	if !r.Mode.UsesToken() {
		return time.Time{}, NoteNoToken
	}
	sec, err := kube.CoreV1().Secrets(r.Namespace).Get(ctx, r.SecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return time.Time{}, NoteNoSecret
	case apierrors.IsForbidden(err):
		return time.Time{}, NoteForbiddenGet
	case err != nil:
		return time.Time{}, NoteUnreadable
	}
	v, ok := secretValue(sec)
	if !ok {
		return time.Time{}, NoteSecretNoKey
	}
	tok, err := tokencheck.Parse(v)
	if err != nil {
		return time.Time{}, NoteNotJWT
	}
	if tok.ExpiresAt == nil {
		return time.Time{}, NoteNoExpiry
	}
	return tok.ExpiresAt.UTC(), ""
}

func secretValue(s *corev1.Secret) (string, bool) {
	if b, ok := s.Data[setup.SecretKey]; ok {
		return string(b), true
	}
	v, ok := s.StringData[setup.SecretKey]
	return v, ok
}

// DoctorStatus runs the doctor on every setup of namespace ("" = every namespace), as doctor --all does, and
// returns each setup's counts by namespace/name. It is slow (every check of every setup): call it after the
// rows are shown.
func DoctorStatus(ctx context.Context, namespace string, base doctor.Options, deps doctor.Deps) (map[string]doctor.Summary, error) {
	reps, err := doctor.RunFleet(ctx, doctor.FleetOptions{Namespace: namespace, Base: base}, deps)
	if err != nil && reps == nil {
		return nil, err
	}
	out := make(map[string]doctor.Summary, len(reps))
	for _, r := range reps {
		if r.Checks != nil {
			out[r.Setup] = r.Summary
		}
	}
	return out, err
}
