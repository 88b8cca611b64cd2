package logs

import (
	"bytes"
	"strings"
)

// QuickReject reports, from the raw bytes alone, that a line cannot pass the filter, so it need not be parsed;
// false means "parse and Match to decide". It only rejects lines that Parse + Match reject too
// (prefilter_test.go checks this on generated and fuzzed lines): for each criterion it looks at every place
// the key could be written and reads the value there as the parser would, so a line is kept whenever one of
// those readings could pass.
//
// A line starting with '{' is read as JSON when it is a valid object and as text otherwise, so both readings
// are tried. In JSON a key or value may be written with escapes ("http\u002estatus"); a JSON line with a
// backslash is therefore never rejected here (it is parsed, which is still fast).
func (f *Filter) QuickReject(line []byte) bool {
	if f == nil {
		return false
	}
	isJSON := len(line) > 0 && line[0] == '{'
	if len(f.Statuses) > 0 && !f.statusMayMatch(line, isJSON) {
		return true
	}
	if len(f.Routes) > 0 && !f.routeMayMatch(line, isJSON) {
		return true
	}
	if len(f.Reasons) > 0 && !f.reasonMayMatch(line, isJSON) {
		return true
	}
	return f.Grep != nil && !f.Grep.Match(line)
}

var (
	keyStatus = []byte("http.status")
	keyRoute  = []byte("route")
	keyReason = []byte("reason")
)

func (f *Filter) statusMayMatch(line []byte, isJSON bool) bool {
	for _, r := range f.Statuses {
		if r.Lo <= 0 { // a line without a status (0) would pass: nothing to rule out
			return true
		}
	}
	return mayMatchAt(line, isJSON, keyStatus, func(val []byte) bool {
		code := leadingCode(val)
		for _, r := range f.Statuses {
			if code >= r.Lo && code <= r.Hi {
				return true
			}
		}
		return false
	}, true)
}

func (f *Filter) routeMayMatch(line []byte, isJSON bool) bool {
	for _, r := range f.Routes {
		if r == "" { // matches a line without a route
			return true
		}
	}
	return mayMatchAt(line, isJSON, keyRoute, func(val []byte) bool { return matchRoute(f.Routes, val) }, false)
}

func (f *Filter) reasonMayMatch(line []byte, isJSON bool) bool {
	for _, r := range f.Reasons {
		if strings.EqualFold(r, "none") { // matches a line without a reason
			return true
		}
	}
	return mayMatchAt(line, isJSON, keyReason, func(val []byte) bool {
		for _, r := range f.Reasons {
			if len(val) > 0 && bytes.EqualFold([]byte(r), val) {
				return true
			}
		}
		return false
	}, false)
}

// mayMatchAt reports whether some place where key is written in line carries a value for which pass is true:
// text `key=value` / `key="value"` with the value cut exactly as parseText cuts it, and (for a line starting
// with '{') JSON `"key": value`. A JSON value that decoding could change (non-ASCII) or that is not a plain
// string is taken as passing; with numeric set, a number is handed to pass (the status is read from it).
func mayMatchAt(line []byte, isJSON bool, key []byte, pass func([]byte) bool, numeric bool) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], key)
		if i < 0 {
			break
		}
		at := off + i
		j := at + len(key)
		off = j
		if j >= len(line) {
			break
		}
		switch line[j] {
		case '=':
			if pass(textValue(line[j+1:])) {
				return true
			}
		case '"':
			if isJSON && at > 0 && line[at-1] == '"' {
				if k, ok := jsonColon(line, j+1); ok && jsonValueMay(line[k:], pass, numeric) {
					return true
				}
			}
		}
	}
	// escapes may spell the key or the value differently: parse to decide
	return isJSON && bytes.IndexByte(line, '\\') >= 0
}

// textValue cuts a value at the start of s as parseText does: quoted up to the closing quote (escapes kept
// as written), else up to the next space.
func textValue(s []byte) []byte {
	if len(s) > 0 && s[0] == '"' {
		j := 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		return s[1:min(j, len(s))]
	}
	if j := bytes.IndexByte(s, ' '); j >= 0 {
		return s[:j]
	}
	return s
}

// jsonColon skips `<space>:<space>` from b[i] and returns where the value starts.
func jsonColon(b []byte, i int) (int, bool) {
	i = skipJSONSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return 0, false
	}
	return skipJSONSpace(b, i+1), true
}

// jsonValueMay applies pass to a JSON value at the start of b in a line without backslashes: a string's
// content when it is ASCII (then it is its decoded form), null as no value, a number as its literal when
// numeric; any other value may pass.
func jsonValueMay(b []byte, pass func([]byte) bool, numeric bool) bool {
	if len(b) == 0 {
		return false
	}
	switch c := b[0]; {
	case c == '"':
		end := bytes.IndexByte(b[1:], '"')
		if end < 0 {
			return false // not valid JSON: the text reading decides
		}
		s := b[1 : 1+end]
		for _, c := range s {
			if c >= 0x80 {
				return true
			}
		}
		return pass(s)
	case c == 'n':
		return pass(nil)
	case numeric && (c == '-' || c >= '0' && c <= '9'):
		return pass(b)
	}
	return true
}

// leadingCode reads a status from a value as parseText and parseJSON leave it for atoi: the 1 to 4 digits at
// the start of b. It returns 0 when there are none or more than four; digits followed by other characters
// still count (atoi would give 0 there, so reading them can only keep a line, never drop one).
func leadingCode(b []byte) int {
	n, i := 0, 0
	for ; i < len(b) && i < 5 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int(b[i]-'0')
	}
	if i == 0 || i > 4 {
		return 0
	}
	return n
}
