package jwtparts

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzObjectMatchesEncodingJSON: object decodes what encoding/json decodes into the same values (numbers as
// float64, escapes, invalid UTF-8 replaced, the last of repeated keys) and refuses what it refuses.
func FuzzObjectMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"sub":"a","exp":1767225600,"aud":["x","y"],"n":1.5e3,"big":123456789012345678901234567890}`,
		`{"a":{"b":[null,true,false,-0,1e-7]},"a":"last wins"}`,
		`{"esc":"\u00e9\n\ud83d\ude00\"","bad":"` + "\xff\xfe" + `"}`,
		`{"trailing":1} {"x":2}`, `{"x":1,}`, `{}`, `null`, `[1]`, `{"k":"v"}  `, `{"k":01}`, `{"\u0000":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := object(b)
		b = bytes.TrimSpace(b) // as object takes it
		if len(b) == 0 || b[0] != '{' {
			return // object answers these before decoding
		}
		var want map[string]any
		werr := json.Unmarshal(b, &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: object err %v, encoding/json err %v", b, err, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n object        %#v\n encoding/json %#v", b, got, want)
		}
	})
}
