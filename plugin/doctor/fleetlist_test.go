package doctor

import (
	"reflect"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// unmarshalCases are JSON documents where decoders are known to differ: numbers at and past int64's range,
// exponents, escapes and invalid UTF-8 in strings, duplicate and differently cased field names, nulls, nesting,
// and input that is not one JSON value.
var unmarshalCases = []string{
	`{"kind":"GatewayList","apiVersion":"gateway.networking.k8s.io/v1","items":[]}`,
	`{"items":[{"kind":"Gateway","metadata":{"name":"a","generation":3,"managedFields":[{"manager":"m"}]},"spec":{"listeners":[{"port":8080}]}}]}`,
	`{"items":[{"spec":{"i":9223372036854775807,"j":-9223372036854775808,"big":9223372036854775808,"neg":-9223372036854775809}}]}`,
	`{"items":[{"spec":{"z":-0,"e":1e3,"E":2E-2,"f":1.5,"g":0.0,"h":100000000000000000000000}}]}`,
	`{"items":[{"spec":{"inf":1e400}}]}`,
	`{"items":[{"spec":{"s":"caf\u00e9 \ud83d\ude00 \ud800 \"q\" \\ \/ \b\f\n\r\t"}}]}`,
	"{\"items\":[{\"spec\":{\"bad\":\"\xff\xfe ok \xc3\"}}]}",
	`{"items":[{"spec":{"a":1,"a":2},"Spec":{"x":1},"KIND":"Nope","kind":"Yes","status":null}]}`,
	`{"items":[{"metadata":{"Name":"upper","name":"lower","labels":{"a":"b"},"annotations":null}}]}`,
	`{"items":[{"spec":[[[]],{},[{"a":[true,false,null]}]]}]}`,
	`{"items":null}`,
	`{"kind":"List","items":[{}]}  ` + "\n",
	`{"items":[]} {"items":[]}`,
	`{"items":[}`,
	`{"items":[{"spec":{"a":01}}]}`,
	`{"items":[{"spec":{"a":"\x01"}}]}`,
	`[]`,
	`"items"`,
	``,
	`{"items":[{"kind":5}]}`,
}

// TestUnmarshalUnstructuredMatchesApimachinery: doctor --all's LIST decoder gives what apimachinery's gives, or
// fails where it fails, into the LIST shape doctor reads and into a plain interface.
func TestUnmarshalUnstructuredMatchesApimachinery(t *testing.T) {
	for _, c := range unmarshalCases {
		checkUnmarshalMatches(t, []byte(c))
	}
}

func FuzzUnmarshalUnstructured(f *testing.F) {
	for _, c := range unmarshalCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkUnmarshalMatches(t, b) })
}

func checkUnmarshalMatches(t *testing.T, b []byte) {
	t.Helper()
	var gotList, wantList leanList
	gotErr, wantErr := unmarshalUnstructured(b, &gotList), utiljson.Unmarshal(b, &wantList)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, apimachinery's %v", b, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(gotList, wantList) {
		t.Fatalf("%q:\n got  %#v\n want %#v", b, gotList, wantList)
	}
	var got, want any
	gotErr, wantErr = unmarshalUnstructured(b, &got), utiljson.Unmarshal(b, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q into any: error %v, apimachinery's %v", b, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q into any:\n got  %#v\n want %#v", b, got, want)
	}
}
