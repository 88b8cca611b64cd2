package rotate

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric names of the rotation service (docs/rotation-service.md lists them with alert examples).
const (
	MetricExpiry     = "agentcore_rotation_token_expiration_timestamp_seconds"
	MetricRenewal    = "agentcore_rotation_renewal_timestamp_seconds"
	MetricDue        = "agentcore_rotation_renewal_due_timestamp_seconds"
	MetricRenewals   = "agentcore_rotation_renewals_total"
	MetricFailures   = "agentcore_rotation_failures_total"
	MetricLeader     = "agentcore_rotation_leader"
	MetricSetups     = "agentcore_rotation_setups"
	metricsNamespace = "namespace"
	metricsSetup     = "setup"
	metricsSecret    = "secret"
	metricsReason    = "reason"
)

// Metrics are the rotation service's Prometheus metrics. Per-setup series exist only on the leader (a replica
// that stops leading drops them), so a query takes the max over replicas.
type Metrics struct {
	Expiry   *prometheus.GaugeVec
	Renewal  *prometheus.GaugeVec
	Due      *prometheus.GaugeVec
	Renewals *prometheus.CounterVec
	Failures *prometheus.CounterVec
	Leader   prometheus.Gauge
	Setups   prometheus.Gauge
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	labels := []string{metricsNamespace, metricsSetup, metricsSecret}
	m := &Metrics{
		Expiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricExpiry,
			Help: "Expiry (exp claim, Unix seconds) of the token the setup's Secret holds."}, labels),
		Renewal: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricRenewal,
			Help: "When the setup's token was last renewed successfully (Unix seconds)."}, labels),
		Due: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: MetricDue,
			Help: "When the setup's current token is due for renewal by the policy (Unix seconds); in the past means renewal is overdue."}, labels),
		Renewals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricRenewals,
			Help: "Tokens written to the setup's Secret."}, labels),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: MetricFailures,
			Help: "Failed renewal attempts by reason (read, mint, validate, write, config)."}, append(labels, metricsReason)),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricLeader,
			Help: "1 while this replica holds the rotation lease and writes, else 0."}),
		Setups: prometheus.NewGauge(prometheus.GaugeOpts{Name: MetricSetups,
			Help: "Setups this replica keeps a renewal schedule for (0 unless leading)."}),
	}
	reg.MustRegister(m.Expiry, m.Renewal, m.Due, m.Renewals, m.Failures, m.Leader, m.Setups)
	return m
}

// Observe records one outcome.
func (m *Metrics) Observe(o Outcome) {
	if m == nil {
		return
	}
	l := prometheus.Labels{metricsNamespace: o.Setup.Namespace, metricsSetup: o.Setup.Name, metricsSecret: o.Setup.Secret}
	if !o.Expiry.IsZero() {
		m.Expiry.With(l).Set(float64(o.Expiry.Unix()))
	}
	if !o.Due.IsZero() {
		m.Due.With(l).Set(float64(o.Due.Unix()))
	}
	switch o.Action {
	case ActionRotated:
		m.Renewals.With(l).Inc()
		m.Renewal.With(l).Set(float64(o.Time.Unix()))
	case "":
		fl := prometheus.Labels{metricsReason: o.Reason}
		for k, v := range l {
			fl[k] = v
		}
		m.Failures.With(fl).Inc()
	}
}

// Forget drops a setup's series.
func (m *Metrics) Forget(ref SetupRef) {
	if m == nil {
		return
	}
	l := prometheus.Labels{metricsNamespace: ref.Namespace, metricsSetup: ref.Name}
	m.Expiry.DeletePartialMatch(l)
	m.Renewal.DeletePartialMatch(l)
	m.Due.DeletePartialMatch(l)
	m.Renewals.DeletePartialMatch(l)
	m.Failures.DeletePartialMatch(l)
}
