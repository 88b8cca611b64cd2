package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/reference"
)

// Status annotations the rotation service keeps on each setup record ConfigMap (docs/rotation-service.md).
const (
	StatusLastRotation = "agentcore.dev/rotation-last"
	StatusNext         = "agentcore.dev/rotation-next"
	StatusTokenExpires = "agentcore.dev/rotation-token-expires"
	StatusLastError    = "agentcore.dev/rotation-last-error"
	StatusFailures     = "agentcore.dev/rotation-failures"
	StatusBy           = "agentcore.dev/rotation-by"
)

// StatusAnnotations are every status annotation, in display order.
var StatusAnnotations = []string{StatusLastRotation, StatusNext, StatusTokenExpires, StatusLastError, StatusFailures, StatusBy}

// Event reasons on the setup record.
const (
	EventReasonRotated = "Rotated"
	EventReasonFailed  = "RotationFailed"
	eventAction        = "Rotate"
	maxEventNote       = 1000 // events.k8s.io allows 1 kB
)

// RecordStatus is the rotation status read back from a record's annotations.
type RecordStatus struct {
	LastRotation time.Time `json:"lastRotation,omitzero"`
	Next         time.Time `json:"next,omitzero"`
	TokenExpires time.Time `json:"tokenExpires,omitzero"`
	LastError    string    `json:"lastError,omitempty"`
	Failures     int       `json:"failures,omitempty"`
	By           string    `json:"by,omitempty"`
}

// OverdueGrace is how late a renewal may be before it counts as overdue: a renewer's queue and jitter.
const OverdueGrace = 2 * time.Minute

// Failing reports whether the last renewal failed.
func (s RecordStatus) Failing() bool { return s.Failures > 0 || s.LastError != "" }

// Overdue is how long the scheduled renewal is late at now (0 when it is not due yet, within OverdueGrace, or
// nothing was scheduled): nothing has renewed the token since it was due.
func (s RecordStatus) Overdue(now time.Time) time.Duration {
	if s.Next.IsZero() || now.Sub(s.Next) <= OverdueGrace {
		return 0
	}
	return now.Sub(s.Next)
}

// ReadStatus reads the status annotations of a record ConfigMap.
func ReadStatus(cm *corev1.ConfigMap) RecordStatus { return StatusFrom(cm.Annotations) }

// StatusFrom reads the status from a record's annotations (setup.Record.Annotations).
func StatusFrom(a map[string]string) RecordStatus {
	t := func(k string) time.Time { v, _ := time.Parse(time.RFC3339, a[k]); return v }
	n, _ := strconv.Atoi(a[StatusFailures])
	return RecordStatus{LastRotation: t(StatusLastRotation), Next: t(StatusNext), TokenExpires: t(StatusTokenExpires),
		LastError: a[StatusLastError], Failures: n, By: a[StatusBy]}
}

// Reporter turns outcomes into metrics, Events on the record, the record's status annotations and log lines.
type Reporter struct {
	Kube     kubernetes.Interface
	Recorder events.EventRecorder // nil: no Events
	Metrics  *Metrics             // nil: no metrics
	// Identity names this replica in StatusBy.
	Identity string
	// Log, when set, receives every outcome after it is recorded.
	Log func(Outcome)
}

// Report records one outcome; failing to write the status only costs the status (it is logged by the caller
// through Log's outcome, never retried here).
func (r *Reporter) Report(ctx context.Context, o Outcome) {
	r.Metrics.Observe(o)
	if r.Recorder != nil && o.Record != nil {
		switch {
		case o.Action == ActionRotated:
			r.Recorder.Eventf(o.Record, nil, corev1.EventTypeNormal, EventReasonRotated, eventAction, "%s",
				clip(fmt.Sprintf("rotated Secret %s/%s: new token expires %s (minted with the %s); next renewal %s",
					o.Setup.Namespace, o.Setup.Secret, o.Expiry.UTC().Format(time.RFC3339), methodWordsOf(o.Result), o.Next.UTC().Format(time.RFC3339))))
		case o.Action == "":
			r.Recorder.Eventf(o.Record, nil, corev1.EventTypeWarning, EventReasonFailed, eventAction, "%s",
				clip(fmt.Sprintf("reason=%s failures=%d: %s; retry %s", o.Reason, o.Failures, oneLine(o.Err), o.Next.UTC().Format(time.RFC3339))))
		}
	}
	if o.Record != nil {
		_ = r.patchStatus(ctx, o)
	}
	if r.Log != nil {
		r.Log(o)
	}
}

func (r *Reporter) patchStatus(ctx context.Context, o Outcome) error {
	cur := o.Record.Annotations
	want := map[string]any{}
	set := func(k, v string) {
		if v == "" {
			if _, ok := cur[k]; ok {
				want[k] = nil
			}
			return
		}
		if cur[k] != v {
			want[k] = v
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	last := cur[StatusLastRotation]
	if o.Action == ActionRotated {
		last = ts(o.Time)
	}
	set(StatusLastRotation, last)
	set(StatusNext, ts(o.Next))
	exp := ts(o.Expiry)
	if exp == "" {
		exp = cur[StatusTokenExpires]
	}
	set(StatusTokenExpires, exp)
	if o.Action == "" {
		set(StatusLastError, clip(o.Reason+": "+oneLine(o.Err)))
		set(StatusFailures, strconv.Itoa(o.Failures))
	} else {
		set(StatusLastError, "")
		set(StatusFailures, "")
	}
	set(StatusBy, r.Identity)
	if len(want) == 0 {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": want}})
	if err != nil {
		return err
	}
	// A merge patch (not an apply): it never re-creates a record deleted meanwhile.
	_, err = r.Kube.CoreV1().ConfigMaps(o.Setup.Namespace).Patch(ctx, o.Setup.Name, types.MergePatchType, patch, metav1PatchOptions)
	return err
}

func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(redact.Text(err.Error())), " ")
}

func clip(s string) string {
	if len(s) <= maxEventNote {
		return s
	}
	return s[:maxEventNote-3] + "..."
}

func methodWordsOf(r *Result) string {
	if r == nil || r.Method == "" {
		return "configured method"
	}
	return strings.ReplaceAll(r.Method, "-", " ")
}

// SyncRecorder is an events.EventRecorder that creates each Event before Eventf returns, for a process that ends
// right after its one rotation (one-shot rotate), where the rotation service's buffered broadcaster could drop
// it. The Event is the one the broadcaster makes (events.k8s.io/v1, reporting controller EventController).
type SyncRecorder struct {
	Kube     kubernetes.Interface
	Instance string // reportingInstance
	Now      func() time.Time
}

// Eventf records one Event about regarding (a typed object known to client-go's scheme). Failures cost only
// the Event.
func (r *SyncRecorder) Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	ref, err := reference.GetReference(scheme.Scheme, regarding)
	if err != nil {
		return
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	ev := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", ref.Name, t.UnixNano()), Namespace: ref.Namespace},
		EventTime:           metav1.NewMicroTime(t),
		ReportingController: EventController,
		ReportingInstance:   clipTo(r.Instance, 128),
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Note:                clip(fmt.Sprintf(note, args...)),
		Type:                eventtype,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = r.Kube.EventsV1().Events(ref.Namespace).Create(ctx, ev, metav1.CreateOptions{})
}

func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ReportSingle records one rotation of a single setup — one-shot rotate, or one round of rotate --watch without
// --all — as the rotation service records each of its setups, through the same Reporter: the record's status
// annotations and an Event on the record. A setup named only by flags (no record) records nothing. res and err
// are Engine.Once's answer; failures counts failures in a row including this one (negative: one more than the
// record says); next is when the setup is looked at again (zero: when rb makes its token due).
func ReportSingle(ctx context.Context, rep *Reporter, t *Target, res *Result, err error, failures int, next time.Time, rb RenewBefore, now time.Time) {
	if t == nil || t.Record == nil || t.RecordName == "" {
		return
	}
	cm, gerr := rep.Kube.CoreV1().ConfigMaps(t.Namespace).Get(ctx, t.RecordName, metav1.GetOptions{})
	if gerr != nil {
		return
	}
	out := Outcome{Setup: SetupRef{Namespace: t.Namespace, Name: t.RecordName, Secret: t.SecretName}, Record: cm, Time: now}
	out.settle(res, err, rb, 0)
	switch {
	case err == nil:
		out.Failures = 0
	case failures < 0:
		out.Failures = ReadStatus(cm).Failures + 1
	default:
		out.Failures = failures
	}
	out.Next = next
	if next.IsZero() {
		out.Next = out.Due
	}
	rep.Report(ctx, out)
}

// settle fills out from one Engine.Once answer, as the rotation service reads it: on failure the reason (the
// failed stage) and the stored token's expiry; on success the action, the result and the expiry of the token
// the Secret holds now. Due is when rb makes that token due (for a failure, with the lifetime known from before:
// failed answers carry no iat). It returns the token's lifetime (0 when unknown).
func (out *Outcome) settle(res *Result, err error, rb RenewBefore, lifetime time.Duration) time.Duration {
	if err != nil {
		var re *Error
		reason, exp := string(StageMint), time.Time{}
		if errors.As(err, &re) {
			reason, exp = string(re.Stage), re.OldExpiry
		}
		out.Action, out.Err, out.Reason, out.Expiry, out.Due = "", err, reason, exp, time.Time{}
		if !exp.IsZero() {
			out.Due = exp.Add(-rb.For(lifetime))
		}
		return 0
	}
	out.Action, out.Result = res.Action, res
	var exp, iat time.Time
	if res.NewExpiry != nil && res.Action != ActionFresh {
		exp = *res.NewExpiry
		if res.IssuedAt != nil {
			iat = *res.IssuedAt
		}
	} else if res.OldExpiry != nil {
		exp = *res.OldExpiry
		if res.OldIssuedAt != nil {
			iat = *res.OldIssuedAt
		}
	}
	life := time.Duration(0)
	if !iat.IsZero() {
		life = exp.Sub(iat)
	}
	out.Expiry = exp
	out.Due = exp.Add(-rb.For(life))
	return life
}
