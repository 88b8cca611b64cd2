package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Bad input exits 2 before anything is built or written.
func TestUsageErrors(t *testing.T) {
	out := t.TempDir()
	cases := [][]string{
		{},
		{"-version", "0.1.0"},
		{"-version", "cc7133a-dirty"},
		{"-version", "v0.1.0", "-platforms", "linux"},
		{"-version", "v0.1.0", "-date", "yesterday", "-commit", "abc"},
		{"-version", "v0.1.0", "extra"},
		{"-bogus"},
	}
	for _, args := range cases {
		args = append(args, "-out", filepath.Join(out, "dist"), "-manifest", filepath.Join(out, "agentcore.yaml"))
		if code := run(args); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("bad input wrote %d entries", len(entries))
	}
	t.Setenv("SOURCE_DATE_EPOCH", "soon")
	if code := run([]string{"-version", "v0.1.0", "-commit", "abc", "-out", filepath.Join(out, "dist")}); code != 2 {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d", code)
	}
}
