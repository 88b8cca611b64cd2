package logs

import (
	"unicode/utf16"
	"unicode/utf8"
)

// A byte-level scanner for one JSON object per line: it validates the object exactly as encoding/json's
// decoder does (RFC 8259 grammar; invalid UTF-8 inside strings is accepted and decodes to U+FFFD; bytes after
// the object's closing brace are ignored, as json.Decoder.Decode ignores them) and hands each top-level member
// to a callback with its value still pointing into the line. Nothing is allocated unless a key or a string
// value has to be unescaped. encoding/json stays the reference: the differential test and fuzz target in
// jsonscan_test.go compare the two.

// jsonKind is the type of a scanned JSON value.
type jsonKind uint8

const (
	jNone      jsonKind = iota // absent
	jString                    // raw is the content between the quotes, equal to its decoded form
	jStringEsc                 // raw is the content between the quotes; it needs unquoteJSON (escapes or invalid UTF-8)
	jNumber                    // raw is the literal (what json.Number keeps)
	jTrue                      // raw is "true"
	jFalse                     // raw is "false"
	jNull                      // raw is "null"
	jComposite                 // raw is an object or array, as written
)

// jsonMaxDepth bounds the nesting the scanner follows; deeper values are left to encoding/json (whose own limit
// is 10000), so the result stays the reference's.
const jsonMaxDepth = 512

type jsonVal struct {
	raw  []byte
	kind jsonKind
}

// jsonScanResult says how scanning ended.
type jsonScanResult uint8

const (
	jsonOK      jsonScanResult = iota
	jsonInvalid                // not a JSON object: encoding/json would fail too
	jsonTooDeep                // nesting beyond jsonMaxDepth: ask encoding/json
)

// strClass marks the bytes that end the fast path inside a string: '"', '\\', control characters and
// non-ASCII bytes.
var strClass = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// scanJSONObject scans the object at the start of b (b[0] must be '{') and calls member for each top-level
// key and value in order. key is raw (between the quotes) with keyEsc set when it must be unquoted to compare.
func scanJSONObject(b []byte, member func(key []byte, keyEsc bool, val jsonVal)) jsonScanResult {
	_, res := scanJSONMembers(b, 0, 1, member)
	return res
}

// scanJSONMembers scans the object opening at b[i], whose values are at nesting depth, calling member (unless
// nil) for each key and value; end is just past its closing brace.
func scanJSONMembers(b []byte, i, depth int, member func(key []byte, keyEsc bool, val jsonVal)) (end int, res jsonScanResult) {
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, jsonOK
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, jsonInvalid
		}
		kend, esc, ok := scanJSONString(b, i)
		if !ok {
			return 0, jsonInvalid
		}
		key := b[i+1 : kend-1]
		i = skipJSONSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, jsonInvalid
		}
		i = skipJSONSpace(b, i+1)
		vend, kind, res := scanJSONValue(b, i, depth)
		if res != jsonOK {
			return 0, res
		}
		if member != nil {
			val := jsonVal{raw: b[i:vend], kind: kind}
			if kind == jString || kind == jStringEsc {
				val.raw = b[i+1 : vend-1]
			}
			member(key, esc, val)
		}
		var done bool
		if i, done, ok = afterJSONValue(b, vend, '}'); !ok || done {
			return i, resultOf(ok)
		}
	}
}

// afterJSONValue reads what follows an element of an object or array: a comma (next is where the next element
// starts) or the closing bracket (done; next is just past it).
func afterJSONValue(b []byte, i int, closing byte) (next int, done, ok bool) {
	i = skipJSONSpace(b, i)
	if i >= len(b) {
		return 0, false, false
	}
	switch b[i] {
	case ',':
		return skipJSONSpace(b, i+1), false, true
	case closing:
		return i + 1, true, true
	}
	return 0, false, false
}

func resultOf(ok bool) jsonScanResult {
	if ok {
		return jsonOK
	}
	return jsonInvalid
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanJSONString scans the string whose opening quote is b[i]; end is just past the closing quote. esc is true
// when the content is not its own decoded form (an escape, or invalid UTF-8 that decodes to U+FFFD).
func scanJSONString(b []byte, i int) (end int, esc, ok bool) {
	j := i + 1
	nonASCII := false
	for {
		for j < len(b) && !strClass[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, false, false
		}
		switch c := b[j]; {
		case c == '"':
			if nonASCII && !esc && !utf8.Valid(b[i+1:j]) {
				esc = true
			}
			return j + 1, esc, true
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return 0, false, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) {
					return 0, false, false
				}
				for _, h := range b[j+2 : j+6] {
					if hexVal(h) < 0 {
						return 0, false, false
					}
				}
				j += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default: // non-ASCII
			nonASCII = true
			j++
		}
	}
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// scanJSONValue scans the value starting at b[i]; end is just past it.
func scanJSONValue(b []byte, i, depth int) (end int, kind jsonKind, res jsonScanResult) {
	if i >= len(b) {
		return 0, jNone, jsonInvalid
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, ok := scanJSONString(b, i)
		if !ok {
			return 0, jNone, jsonInvalid
		}
		if esc {
			return end, jStringEsc, jsonOK
		}
		return end, jString, jsonOK
	case c == '-' || c >= '0' && c <= '9':
		end, ok := scanJSONNumber(b, i)
		if !ok {
			return 0, jNone, jsonInvalid
		}
		return end, jNumber, jsonOK
	case c == 't':
		return scanJSONLiteral(b, i, "true", jTrue)
	case c == 'f':
		return scanJSONLiteral(b, i, "false", jFalse)
	case c == 'n':
		return scanJSONLiteral(b, i, "null", jNull)
	case c == '{' || c == '[':
		if depth >= jsonMaxDepth {
			return 0, jNone, jsonTooDeep
		}
		end, res := scanJSONComposite(b, i, depth+1)
		return end, jComposite, res
	}
	return 0, jNone, jsonInvalid
}

func scanJSONLiteral(b []byte, i int, lit string, kind jsonKind) (int, jsonKind, jsonScanResult) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, jNone, jsonInvalid
	}
	return i + len(lit), kind, jsonOK
}

// scanJSONNumber: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func scanJSONNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	return i, true
}

// scanJSONComposite scans the object or array opening at b[i].
func scanJSONComposite(b []byte, i, depth int) (int, jsonScanResult) {
	if b[i] == '{' {
		return scanJSONMembers(b, i, depth, nil)
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, jsonOK
	}
	for {
		end, _, res := scanJSONValue(b, i, depth)
		if res != jsonOK {
			return 0, res
		}
		next, done, ok := afterJSONValue(b, end, ']')
		if !ok || done {
			return next, resultOf(ok)
		}
		i = next
	}
}

// unquoteJSON decodes the content of a JSON string that scanJSONString accepted, as encoding/json does:
// escapes resolved, a \u surrogate pair joined (a lone or broken surrogate becomes U+FFFD) and each byte of
// invalid UTF-8 replaced by U+FFFD. The result is never nil.
func unquoteJSON(s []byte) []byte {
	out := make([]byte, 0, len(s)+8)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch e := s[r+1]; e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := getU4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if rr1 := getU4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							r += 6
							continue
						}
					}
					rr = utf8.RuneError
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // '"', '\\', '/'
				out = append(out, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return out
}

// getU4 decodes \uXXXX at the start of s, or returns -1.
func getU4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		h := hexVal(c)
		if h < 0 {
			return -1
		}
		r = r*16 + h
	}
	return r
}
