package logs

import (
	"sort"
)

// Stats counts the lines that passed the filters: by status, status class, reason and route.
type Stats struct {
	Lines     int `json:"lines"`
	Access    int `json:"access"`
	NonAccess int `json:"other"`
	status    [600]int
	reasons   map[string]*int
	routes    map[string]*int
	// unauth counts the 401s by where they happened: the gateway's reason (JwtAuth, …) or "" for AgentCore.
	unauth  map[string]*int
	callers map[string]*int
}

// Count is one bucket of a Stats report.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// StatsReport is what --stats prints.
type StatsReport struct {
	Lines    int     `json:"lines"`
	Access   int     `json:"access"`
	Other    int     `json:"other"`
	ByClass  []Count `json:"byClass"`
	ByStatus []Count `json:"byStatus"`
	ByReason []Count `json:"byReason"`
	ByRoute  []Count `json:"byRoute"`
	// Unauthorized splits the 401s by where they happened: "gateway <reason>" (the gateway refused the caller,
	// e.g. JwtAuth) or "AgentCore" (no reason: the upstream refused the token the gateway sent).
	Unauthorized []Count `json:"unauthorized"`
	// ByCaller counts the access lines by the caller's jwt.sub (lines without one are not counted).
	ByCaller  []Count `json:"byCaller"`
	ParseSkip int     `json:"-"`
}

// NewStats returns empty counters.
func NewStats() *Stats {
	return &Stats{reasons: map[string]*int{}, routes: map[string]*int{}, unauth: map[string]*int{}, callers: map[string]*int{}}
}

// Add counts a parsed line (no allocation once a reason/route has been seen).
func (s *Stats) Add(v *View) {
	s.Lines++
	if !v.Access {
		s.NonAccess++
		return
	}
	s.Access++
	if v.Status > 0 && v.Status < len(s.status) {
		s.status[v.Status]++
	}
	bump(s.reasons, v.Reason)
	bump(s.routes, v.Route)
	if v.Status == 401 {
		bump(s.unauth, v.Reason)
	}
	if len(v.JWTSubject) > 0 {
		bump(s.callers, v.JWTSubject)
	}
}

// AddEntry counts an Entry.
func (s *Stats) AddEntry(e *Entry) {
	var v View
	v.Access, v.Status, v.Reason, v.Route, v.JWTSubject = e.Access, e.Status, []byte(e.Reason), []byte(e.Route), []byte(e.JWTSubject)
	s.Add(&v)
}

func bump(m map[string]*int, k []byte) {
	if len(k) == 0 {
		k = noneKey
	}
	if p, ok := m[string(k)]; ok {
		*p++
		return
	}
	n := 1
	m[string(k)] = &n
}

var noneKey = []byte("(none)")

// Class returns the count of a status class (2 for 2xx …).
func (s *Stats) Class(c int) int {
	n := 0
	for i := c * 100; i < c*100+100 && i < len(s.status); i++ {
		n += s.status[i]
	}
	return n
}

// Report sorts the counters for printing: classes in order, the rest by count (descending) then key.
func (s *Stats) Report() StatsReport {
	r := StatsReport{Lines: s.Lines, Access: s.Access, Other: s.NonAccess,
		ByClass: []Count{}, ByStatus: []Count{}, ByReason: []Count{}, ByRoute: []Count{}, Unauthorized: []Count{}, ByCaller: []Count{}}
	for c := 1; c <= 5; c++ {
		if n := s.Class(c); n > 0 {
			r.ByClass = append(r.ByClass, Count{StatusClass(c * 100), n})
		}
	}
	for code, n := range s.status {
		if n > 0 {
			r.ByStatus = append(r.ByStatus, Count{itoa(code), n})
		}
	}
	sortCounts(r.ByStatus)
	for k, n := range s.reasons {
		r.ByReason = append(r.ByReason, Count{k, *n})
	}
	sortCounts(r.ByReason)
	for k, n := range s.routes {
		r.ByRoute = append(r.ByRoute, Count{k, *n})
	}
	sortCounts(r.ByRoute)
	for k, n := range s.unauth {
		where := "AgentCore"
		if k != string(noneKey) {
			where = "gateway " + k
		}
		r.Unauthorized = append(r.Unauthorized, Count{where, *n})
	}
	sortCounts(r.Unauthorized)
	for k, n := range s.callers {
		r.ByCaller = append(r.ByCaller, Count{k, *n})
	}
	sortCounts(r.ByCaller)
	return r
}

func sortCounts(c []Count) {
	sort.Slice(c, func(i, j int) bool { return c[i].Count > c[j].Count || c[i].Count == c[j].Count && c[i].Key < c[j].Key })
}
