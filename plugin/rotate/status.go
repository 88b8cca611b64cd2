package rotate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/internal/redact"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
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

// ReadStatus reads the status annotations of a record ConfigMap.
func ReadStatus(cm *corev1.ConfigMap) RecordStatus {
	a := cm.Annotations
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
