// Package logs is the gateway log pipeline: finding and following the proxy pods of an Agent Gateway (a
// stern-like follower that survives API timeouts, picks up new pods and drops deleted ones), parsing
// agentgateway access lines (text key=value and JSON, docs/facts.md) into fields, filtering, counting, and a
// bounded ring buffer for screens. No UI lives here.
package logs

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// View is one parsed line whose fields point into the line's bytes: parsing and filtering allocate nothing
// for text lines. Call Entry for a copy that outlives the line's buffer.
type View struct {
	viewFields
	// kv holds every key=value of a text access line in order (values still quoted/escaped when quoted), the
	// first nkv set; apart from viewFields so that Parse clears only what it sets.
	kv [maxFields]field
}

type viewFields struct {
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
	v.viewFields = viewFields{Line: line}
	if len(line) > 0 && line[0] == '{' {
		if parseJSON(line, v) {
			return
		}
		v.viewFields = viewFields{Line: line}
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
	if k := keySlot(key); k >= kAccess {
		v.setAccess(k, val)
	}
}

// The keys Parse reads (docs/facts.md), one slot each: text and JSON lines name them alike. The access keys come
// last, in the order a JSON line applies them (the last one present wins where several name one field, e.g. the
// JWT subject); a text line applies them in its own order.
const (
	kTime = iota
	kTimestamp
	kLevel
	kMessage
	kMsg
	kScope
	kGateway
	kListener
	kRoute
	kEndpoint
	kSrcAddr
	kMethod
	kHost
	kPath
	kVersion
	kStatus
	kProtocol
	kError
	kReason
	kDuration
	kJWTSub
	kJWTSubject
	kJWTUnderscoreSub
	kJWTClaimsSub
	keySlots

	kAccess = kGateway // the first access key
)

var keyNames = [keySlots]string{
	kTime: "time", kTimestamp: "timestamp", kLevel: "level", kMessage: "message", kMsg: "msg", kScope: "scope",
	kGateway: "gateway", kListener: "listener", kRoute: "route", kEndpoint: "endpoint", kSrcAddr: "src.addr",
	kMethod: "http.method", kHost: "http.host", kPath: "http.path", kVersion: "http.version", kStatus: "http.status",
	kProtocol: "protocol", kError: "error", kReason: "reason", kDuration: "duration",
	kJWTSub: "jwt.sub", kJWTSubject: "jwt.subject", kJWTUnderscoreSub: "jwt_sub", kJWTClaimsSub: "jwt.claims.sub",
}

// keySlot maps a key (decoded, for JSON) to its slot, -1 for keys Parse does not read. It is keyNames written as
// a switch on the length (a few compares per key, in the hot path); TestTextAndJSONReadTheSameKeys holds the two
// equal.
func keySlot(key []byte) int {
	switch len(key) {
	case 3:
		if string(key) == "msg" {
			return kMsg
		}
	case 4:
		if string(key) == "time" {
			return kTime
		}
	case 5:
		switch string(key) {
		case "level":
			return kLevel
		case "scope":
			return kScope
		case "route":
			return kRoute
		case "error":
			return kError
		}
	case 6:
		if string(key) == "reason" {
			return kReason
		}
	case 7:
		switch string(key) {
		case "message":
			return kMessage
		case "gateway":
			return kGateway
		case "jwt.sub":
			return kJWTSub
		case "jwt_sub":
			return kJWTUnderscoreSub
		}
	case 8:
		switch string(key) {
		case "listener":
			return kListener
		case "endpoint":
			return kEndpoint
		case "src.addr":
			return kSrcAddr
		case "protocol":
			return kProtocol
		case "duration":
			return kDuration
		}
	case 9:
		switch string(key) {
		case "timestamp":
			return kTimestamp
		case "http.host":
			return kHost
		case "http.path":
			return kPath
		}
	case 11:
		switch string(key) {
		case "http.method":
			return kMethod
		case "http.status":
			return kStatus
		case "jwt.subject":
			return kJWTSubject
		}
	case 12:
		if string(key) == "http.version" {
			return kVersion
		}
	case 14:
		if string(key) == "jwt.claims.sub" {
			return kJWTClaimsSub
		}
	}
	return -1
}

// setAccess sets the field of access key slot k.
func (v *View) setAccess(k int, val []byte) {
	switch k {
	case kGateway:
		v.Gateway = val
	case kListener:
		v.Listener = val
	case kRoute:
		v.Route = val
	case kEndpoint:
		v.Endpoint = val
	case kSrcAddr:
		v.SrcAddr = val
	case kMethod:
		v.Method = val
	case kHost:
		v.Host = val
	case kPath:
		v.Path = val
	case kVersion:
		v.Version = val
	case kStatus:
		v.Status = atoi(val)
	case kProtocol:
		v.Protocol = val
	case kError:
		v.Error = val
	case kReason:
		v.Reason = val
	case kDuration:
		v.Duration = val
	case kJWTSub, kJWTSubject, kJWTUnderscoreSub, kJWTClaimsSub:
		v.JWTSubject = val
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

// parseJSON reads a JSON access line (agentgateway with logging.format json, see docs/facts.md) with the
// byte-level scanner of jsonscan.go: string values point into the line unless they have escapes. It gives
// exactly what parseJSONStd (encoding/json) gives, and hands the rare lines it does not handle itself (a read
// field holding an object or array, nesting deeper than jsonMaxDepth) to parseJSONStd.
func parseJSON(line []byte, v *View) bool {
	var vals [keySlots]jsonVal
	res := scanJSONObject(line, func(key []byte, keyEsc bool, val jsonVal) {
		if keyEsc {
			key = unquoteJSON(key)
		}
		if k := keySlot(key); k >= 0 {
			vals[k] = val
		}
	})
	switch res {
	case jsonInvalid:
		return false
	case jsonTooDeep:
		return parseJSONStd(line, v)
	}
	for i, val := range vals {
		if val.kind == jComposite && i != kScope {
			return parseJSONStd(line, v)
		}
	}
	v.JSON = true
	str := func(val jsonVal) []byte {
		switch val.kind {
		case jNone, jNull:
			return nil
		case jStringEsc:
			return unquoteJSON(val.raw)
		}
		return val.raw
	}
	v.TimeRaw = str(vals[kTime])
	if v.TimeRaw == nil {
		v.TimeRaw = str(vals[kTimestamp])
	}
	v.Level = str(vals[kLevel])
	v.Message = str(vals[kMessage])
	if v.Message == nil {
		v.Message = str(vals[kMsg])
	}
	scope := vals[kScope]
	v.Access = vals[kStatus].kind != jNone ||
		scope.kind == jString && string(scope.raw) == "request" ||
		scope.kind == jStringEsc && string(unquoteJSON(scope.raw)) == "request"
	if !v.Access {
		if v.Message == nil {
			v.Message = line
		}
		return true
	}
	// in slot order; Fields reads JSON lines again, so nothing goes to kv
	for k := kAccess; k < keySlots; k++ {
		if b := str(vals[k]); b != nil {
			v.setAccess(k, b)
		}
	}
	return true
}

// parseJSONStd is parseJSON with encoding/json: the reference the scanner is tested against, and the path for
// the lines the scanner leaves to it.
func parseJSONStd(line []byte, v *View) bool {
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
	for k := kAccess; k < keySlots; k++ {
		if b := str(keyNames[k]); b != nil {
			v.setAccess(k, b)
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

// Fields returns every key and value of an access line in order (values unquoted); for JSON lines every
// top-level key, sorted, the last one of a repeated key winning (as encoding/json reads an object into a map).
func (v *View) Fields() []Field {
	if v.JSON {
		if v.jsonKV == nil {
			return jsonFields(v.Line)
		}
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

// jsonFields lists the top-level members of a JSON line the scanner accepted, like Fields does from
// encoding/json's map: objects and arrays (rare in access lines) go through encoding/json to print as it does.
func jsonFields(line []byte) []Field {
	idx := map[string]int{}
	out := []Field{}
	scanJSONObject(line, func(key []byte, keyEsc bool, val jsonVal) {
		if keyEsc {
			key = unquoteJSON(key)
		}
		var s string
		switch val.kind {
		case jStringEsc:
			s = string(unquoteJSON(val.raw))
		case jComposite:
			var x any
			dec := json.NewDecoder(bytes.NewReader(val.raw))
			dec.UseNumber()
			_ = dec.Decode(&x)
			b, _ := json.Marshal(x)
			s = string(b)
		default:
			s = string(val.raw)
		}
		if i, ok := idx[string(key)]; ok {
			out[i].Value = s
			return
		}
		idx[string(key)] = len(out)
		out = append(out, Field{Key: string(key), Value: s})
	})
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Key, b.Key) })
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
	if v.JSON {
		return string(v.Error)
	}
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
