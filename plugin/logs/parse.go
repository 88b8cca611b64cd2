// Package logs is the gateway log pipeline: finding and following the proxy pods of an Agent Gateway (a
// stern-like follower that survives API timeouts, picks up new pods and drops deleted ones), parsing
// agentgateway access lines (text key=value and JSON, field-facts §5) into fields, filtering, counting, and a
// bounded ring buffer for screens. No UI lives here.
package logs

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"
)

// View is one parsed line whose fields point into the line's bytes: parsing and filtering allocate nothing
// for text lines. Call Entry for a copy that outlives the line's buffer.
type View struct {
	// Line is the log line as the proxy wrote it (without a CRI or timestamp prefix).
	Line []byte
	// Access is true for an access log line (text "request …" or JSON scope "request" / with http.status).
	Access bool
	JSON   bool
	// Time is when the line was logged: the stream's timestamp when known, else parsed from the line (lazily,
	// see ParsedTime).
	Time time.Time

	TimeRaw, Level, Message                     []byte
	Gateway, Listener, Route, Endpoint, SrcAddr []byte
	Method, Host, Path, Version, Protocol       []byte
	Reason, Error, Duration, JWTSubject         []byte
	Status                                      int

	// Fields are every key=value of the line in order (values still quoted/escaped when quoted[i]).
	kv     [maxFields]field
	nkv    int
	jsonKV map[string]any
}

const maxFields = 40

type field struct {
	key, val []byte
	quoted   bool
}

// Field is one key and value of an access line, for detail views.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

var (
	prefixRequest = []byte("request ")
	stdoutTag     = []byte(" stdout ")
	stderrTag     = []byte(" stderr ")
)

// Parse parses line into v (reusing v). It never fails: a line that is not an access line is a plain message.
// The line must stay unchanged while v is used.
func Parse(line []byte, v *View) {
	*v = View{Line: line}
	if len(line) > 0 && line[0] == '{' {
		if parseJSON(line, v) {
			return
		}
		*v = View{Line: line}
	}
	parseText(line, v)
}

func parseText(line []byte, v *View) {
	t1 := bytes.IndexByte(line, '\t')
	if t1 < 0 {
		v.Message = line
		return
	}
	rest := line[t1+1:]
	t2 := bytes.IndexByte(rest, '\t')
	if t2 < 0 {
		v.Message = line
		return
	}
	v.TimeRaw = bytes.TrimSpace(line[:t1])
	v.Level = bytes.TrimSpace(rest[:t2])
	msg := rest[t2+1:]
	v.Message = msg
	if !bytes.HasPrefix(msg, prefixRequest) {
		return
	}
	v.Access = true
	s := msg[len(prefixRequest):]
	for len(s) > 0 {
		// skip blanks
		i := 0
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		s = s[i:]
		if len(s) == 0 {
			break
		}
		// key
		k := 0
		for k < len(s) && s[k] != '=' && s[k] != ' ' {
			k++
		}
		if k == len(s) || s[k] == ' ' { // a bare word: not a key=value; skip it
			s = s[k:]
			continue
		}
		key := s[:k]
		s = s[k+1:]
		var val []byte
		quoted := false
		if len(s) > 0 && s[0] == '"' {
			quoted = true
			j := 1
			esc := false
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j > len(s) {
				j = len(s)
			}
			val = s[1:j]
			if j < len(s) {
				s = s[j+1:]
			} else {
				s = s[j:]
			}
			quoted = esc // only escaped values need unquoting
		} else {
			j := bytes.IndexByte(s, ' ')
			if j < 0 {
				j = len(s)
			}
			val = s[:j]
			s = s[j:]
		}
		v.set(key, val, quoted)
	}
}

func (v *View) set(key, val []byte, quoted bool) {
	if v.nkv < maxFields {
		v.kv[v.nkv] = field{key: key, val: val, quoted: quoted}
		v.nkv++
	}
	// dispatch on length first: much cheaper than a string switch over every known key
	switch len(key) {
	case 3:
		if string(key) == "sub" {
			v.JWTSubject = val
		}
	case 5:
		switch string(key) {
		case "route":
			v.Route = val
		case "error":
			v.Error = val
		}
	case 6:
		if string(key) == "reason" {
			v.Reason = val
		}
	case 7:
		switch string(key) {
		case "gateway":
			v.Gateway = val
		case "jwt.sub", "jwt_sub":
			v.JWTSubject = val
		}
	case 8:
		switch string(key) {
		case "listener":
			v.Listener = val
		case "endpoint":
			v.Endpoint = val
		case "src.addr":
			v.SrcAddr = val
		case "duration":
			v.Duration = val
		case "protocol":
			v.Protocol = val
		}
	case 9:
		switch string(key) {
		case "http.host":
			v.Host = val
		case "http.path":
			v.Path = val
		}
	case 11:
		switch string(key) {
		case "http.method":
			v.Method = val
		case "http.status":
			v.Status = atoi(val)
		case "jwt.subject":
			v.JWTSubject = val
		}
	case 12:
		if string(key) == "http.version" {
			v.Version = val
		}
	case 14:
		if string(key) == "jwt.claims.sub" {
			v.JWTSubject = val
		}
	}
}

func atoi(b []byte) int {
	n := 0
	if len(b) == 0 || len(b) > 4 {
		return 0
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func parseJSON(line []byte, v *View) bool {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return false
	}
	v.JSON = true
	v.jsonKV = m
	str := func(k string) []byte {
		switch x := m[k].(type) {
		case string:
			return []byte(x)
		case json.Number:
			return []byte(x.String())
		case nil:
			return nil
		default:
			b, _ := json.Marshal(x)
			return b
		}
	}
	v.TimeRaw = str("time")
	if v.TimeRaw == nil {
		v.TimeRaw = str("timestamp")
	}
	v.Level = str("level")
	v.Message = str("message")
	if v.Message == nil {
		v.Message = str("msg")
	}
	scope, _ := m["scope"].(string)
	_, hasStatus := m["http.status"]
	v.Access = scope == "request" || hasStatus
	if !v.Access {
		if v.Message == nil {
			v.Message = line
		}
		return true
	}
	for _, k := range []string{"gateway", "listener", "route", "endpoint", "src.addr", "http.method", "http.host",
		"http.path", "http.version", "http.status", "protocol", "error", "reason", "duration",
		"jwt.sub", "jwt.subject", "jwt_sub", "jwt.claims.sub"} {
		if b := str(k); b != nil {
			v.set([]byte(k), b, false)
		}
	}
	return true
}

// ParsedTime is v.Time, else the time written in the line (RFC 3339), else the zero time.
func (v *View) ParsedTime() time.Time {
	if !v.Time.IsZero() {
		return v.Time
	}
	if len(v.TimeRaw) > 0 {
		if t, err := time.Parse(time.RFC3339Nano, string(v.TimeRaw)); err == nil {
			v.Time = t
		}
	}
	return v.Time
}

// Fields returns every key and value of an access line in order (values unquoted); for JSON lines every key.
func (v *View) Fields() []Field {
	if v.JSON {
		out := make([]Field, 0, len(v.jsonKV))
		for _, k := range slices.Sorted(maps.Keys(v.jsonKV)) {
			var s string
			switch x := v.jsonKV[k].(type) {
			case string:
				s = x
			case json.Number:
				s = x.String()
			default:
				b, _ := json.Marshal(x)
				s = string(b)
			}
			out = append(out, Field{Key: k, Value: s})
		}
		return out
	}
	out := make([]Field, 0, v.nkv)
	for i := 0; i < v.nkv; i++ {
		f := v.kv[i]
		out = append(out, Field{Key: string(f.key), Value: unq(f.val, f.quoted)})
	}
	return out
}

// unq unescapes a quoted value's content (\" and \\ and the usual escapes).
func unq(b []byte, escaped bool) string {
	if !escaped {
		return string(b)
	}
	if s, err := strconv.Unquote(`"` + string(b) + `"`); err == nil {
		return s
	}
	return string(b)
}

// ErrorText is the error field, unescaped.
func (v *View) ErrorText() string {
	for i := 0; i < v.nkv; i++ {
		if string(v.kv[i].key) == "error" {
			return unq(v.kv[i].val, v.kv[i].quoted)
		}
	}
	return string(v.Error)
}

// StripCRI removes a CRI log prefix (`<RFC3339Nano> stdout|stderr F|P `) from a line read from a node's log
// file, returning the content and the prefix's time; lines without the prefix come back unchanged.
func StripCRI(line []byte) ([]byte, time.Time, bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 20 || sp > 40 || line[0] < '0' || line[0] > '9' {
		return line, time.Time{}, false
	}
	if tab := bytes.IndexByte(line[:sp], '\t'); tab >= 0 {
		return line, time.Time{}, false
	}
	rest := line[sp:]
	if !bytes.HasPrefix(rest, stdoutTag) && !bytes.HasPrefix(rest, stderrTag) {
		return line, time.Time{}, false
	}
	rest = rest[len(stdoutTag):]
	if len(rest) < 2 || (rest[0] != 'F' && rest[0] != 'P') || rest[1] != ' ' {
		return line, time.Time{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(line[:sp]))
	if err != nil {
		return line, time.Time{}, false
	}
	return rest[2:], ts, true
}
