// Package status is the one vocabulary of outcomes every check, finding and screen uses: pass, warn, fail, skip
// (and, while checks run, running and pending). The values are the JSON values.
package status

// Status of a check, a finding or an event.
type Status string

const (
	Pass    Status = "pass"
	Warn    Status = "warn"
	Fail    Status = "fail"
	Skip    Status = "skip"
	Running Status = "running"
	Pending Status = "pending"
)

// OK reports whether the outcome lets what depends on it go ahead (pass or warn).
func (s Status) OK() bool { return s == Pass || s == Warn }
