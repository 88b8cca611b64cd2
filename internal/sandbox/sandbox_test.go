package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadWithoutSandbox(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "no sandbox is running") {
		t.Fatalf("err %v", err)
	}
	// a state file left by a process that is gone
	b, _ := json.Marshal(State{PID: 1 << 22})
	if err := os.WriteFile(filepath.Join(dir, stateFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("err %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("err %v", err)
	}
	stopped, err := Down(dir)
	if stopped || err != nil {
		t.Fatalf("Down with nothing running: %v %v", stopped, err)
	}
}

func TestLoadRunning(t *testing.T) {
	dir := t.TempDir()
	want := State{PID: os.Getpid(), Env: map[string]string{"B": "2", "A": "1"}}
	if err := writeState(dir, &want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil || got.PID != want.PID || strings.Join(got.EnvList(), ",") != "A=1,B=2" {
		t.Fatalf("%+v %v", got, err)
	}
}
