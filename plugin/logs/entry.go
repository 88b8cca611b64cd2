package logs

import (
	"hash/fnv"
	"time"
)

// Entry is one log line with its parsed fields, owned (no references into a read buffer). JSON keys are what
// `-o json` prints, one object per line.
type Entry struct {
	// Seq numbers entries in arrival order from 1.
	Seq       uint64    `json:"-"`
	Time      time.Time `json:"time,omitzero"`
	Pod       string    `json:"pod,omitempty"`
	Container string    `json:"container,omitempty"`
	// Access is false for lines that are not access lines (startup messages, warnings): Message holds them.
	Access     bool   `json:"access"`
	Level      string `json:"level,omitempty"`
	Gateway    string `json:"gateway,omitempty"`
	Listener   string `json:"listener,omitempty"`
	Route      string `json:"route,omitempty"`
	Method     string `json:"method,omitempty"`
	Host       string `json:"host,omitempty"`
	Path       string `json:"path,omitempty"`
	Status     int    `json:"status,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Error      string `json:"error,omitempty"`
	Duration   string `json:"duration,omitempty"`
	Endpoint   string `json:"endpoint,omitempty"`
	JWTSubject string `json:"jwtSubject,omitempty"`
	Message    string `json:"message,omitempty"`
	// Fields are every key=value of the access line, for detail views.
	Fields []Field `json:"-"`
	// Raw is the original line.
	Raw string `json:"-"`
}

// Entry copies the view into an Entry (pod and container are the line's source, "" for files).
func (v *View) Entry(pod, container string) Entry {
	e := Entry{
		Time: v.ParsedTime(), Pod: pod, Container: container, Access: v.Access,
		Level: string(v.Level), Raw: string(v.Line),
	}
	if !v.Access {
		e.Message = string(v.Message)
		return e
	}
	e.Gateway, e.Listener, e.Route = string(v.Gateway), string(v.Listener), string(v.Route)
	e.Method, e.Host, e.Path = string(v.Method), string(v.Host), string(v.Path)
	e.Status, e.Reason, e.Error = v.Status, string(v.Reason), v.ErrorText()
	e.Duration, e.Endpoint, e.JWTSubject = string(v.Duration), string(v.Endpoint), string(v.JWTSubject)
	e.Fields = v.Fields()
	return e
}

// StatusClass is "2xx", "4xx", … for a status, "" for none.
func StatusClass(code int) string {
	if code < 100 || code > 599 {
		return ""
	}
	return string(rune('0'+code/100)) + "xx"
}

// Cause explains a 401 or 403 for people: which leg of the call failed and what to do. "" for other statuses.
func (e Entry) Cause() string {
	if e.Status != 401 && e.Status != 403 {
		return ""
	}
	switch e.Reason {
	case "JwtAuth", "Oidc", "BasicAuth", "APIKeyAuth", "ExtAuth":
		return "the client leg: the gateway rejected the caller's credentials (" + e.Reason + ") before calling AgentCore. " +
			"Check the token the client sends (kubectl agentcore token inspect) and the gateway's authentication policy."
	case "Authorization":
		return "the client leg: the gateway's authorization rules denied the caller. Check the policy's authorization rules."
	case "":
		return "the upstream leg: AgentCore answered " + itoa(e.Status) + ", so it rejected the token the gateway sent " +
			"(expired, wrong audience/client, or the runtime's authorizer changed). Run kubectl agentcore doctor (key d)."
	}
	return "the gateway answered " + itoa(e.Status) + " itself (reason " + e.Reason + ")."
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// PodColor is a stable colour index (0..n-1) for a pod name: the same pod always gets the same colour.
func PodColor(pod string, n int) int {
	if n <= 0 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(pod))
	return int(h.Sum32() % uint32(n))
}
