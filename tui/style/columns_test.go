package style

import (
	"reflect"
	"testing"
)

func TestColumns(t *testing.T) {
	red := New(true, false).Red.Render("expired")
	got := Columns([][]string{
		{"SETUP", "TOKEN", "DOCTOR"},
		{"team-a/agentcore-setup", "23h left", "✔29 ‼0 ✖0"},
		{"b/s", red, ""},
	})
	want := []string{
		"SETUP                   TOKEN     DOCTOR",
		"team-a/agentcore-setup  23h left  ✔29 ‼0 ✖0",
		"b/s                     " + red,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}
