package logs

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP statuses (401 = 401..401, 4xx = 400..499).
type StatusRange struct{ Lo, Hi int }

// Filter keeps the lines that match every set criterion (AND across criteria, OR within a list). Lines that
// are not access lines match only when no status, route or reason criterion is set.
type Filter struct {
	Statuses []StatusRange
	Routes   []string
	Reasons  []string
	Grep     *regexp.Regexp
}

// ParseStatuses parses "401,403,4xx,5xx" (also "2XX", "500-599").
func ParseStatuses(specs []string) ([]StatusRange, error) {
	var out []StatusRange
	for _, raw := range specs {
		for _, s := range strings.Split(raw, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			r, err := parseStatus(s)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func parseStatus(s string) (StatusRange, error) {
	bad := fmt.Errorf("invalid status %q: use codes like 401 or classes like 4xx", s)
	if len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '5' {
		lo := int(s[0]-'0') * 100
		return StatusRange{lo, lo + 99}, nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return StatusRange{}, bad
		}
		return StatusRange{a, b}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return StatusRange{}, bad
	}
	return StatusRange{n, n}, nil
}

// SplitList splits comma-separated flag values ("JwtAuth,RateLimit") and drops empties.
func SplitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Empty reports whether the filter keeps everything.
func (f *Filter) Empty() bool {
	return f == nil || len(f.Statuses) == 0 && len(f.Routes) == 0 && len(f.Reasons) == 0 && f.Grep == nil
}

// Match reports whether the parsed line passes the filter.
func (f *Filter) Match(v *View) bool {
	if f == nil {
		return true
	}
	if len(f.Statuses) > 0 {
		if !v.Access {
			return false
		}
		ok := false
		for _, r := range f.Statuses {
			if v.Status >= r.Lo && v.Status <= r.Hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Routes) > 0 {
		if !v.Access || !matchRoute(f.Routes, v.Route) {
			return false
		}
	}
	if len(f.Reasons) > 0 {
		if !v.Access {
			return false
		}
		ok := false
		for _, r := range f.Reasons {
			if strings.EqualFold(r, "none") && len(v.Reason) == 0 || len(v.Reason) > 0 && bytes.EqualFold([]byte(r), v.Reason) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.Grep != nil && !f.Grep.Match(v.Line) {
		return false
	}
	return true
}

// matchRoute: "ns/name" matches exactly; "name" matches a route of that name in any namespace.
func matchRoute(routes []string, got []byte) bool {
	for _, r := range routes {
		if string(got) == r {
			return true
		}
		if !strings.Contains(r, "/") {
			if i := bytes.LastIndexByte(got, '/'); i >= 0 && string(got[i+1:]) == r {
				return true
			}
		}
	}
	return false
}

// MatchEntry applies the filter to an Entry (used by screens on stored entries).
func (f *Filter) MatchEntry(e *Entry) bool {
	if f.Empty() {
		return true
	}
	var v View
	v.Line = []byte(e.Raw)
	v.Access = e.Access
	v.Status = e.Status
	v.Route = []byte(e.Route)
	v.Reason = []byte(e.Reason)
	return f.Match(&v)
}
