package cmdutil

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// step is a tiny screen: Init sends what the case asks for, Update records what it saw.
type step struct {
	init  tea.Cmd
	seen  int
	panic bool
}

func (s step) Init() tea.Cmd { return s.init }

func (s step) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s.panic {
		panic("screen bug")
	}
	s.seen++
	if _, ok := msg.(stop); ok {
		return s, tea.Quit
	}
	return s, nil
}

func (s step) View() tea.View { return tea.NewView("") }

type stop struct{}

func TestRunScreenStopsTheSameWayEverywhere(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name    string
		ctx     context.Context
		m       step
		wantErr string
		wantRun bool // the final model is the one the screen ended with
	}{
		{"quit", context.Background(), step{init: func() tea.Msg { return stop{} }}, "", true},
		{"interrupt (ctrl+c passed on as tea.Interrupt)", context.Background(), step{init: tea.Interrupt}, "", false},
		{"context cancelled (SIGTERM at the root)", canceled, step{}, "", false},
		{"panic in the screen", context.Background(), step{init: func() tea.Msg { return stop{} }, panic: true}, "terminal UI: ", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// streams of its own: a screen's input reader may still be reading when RunScreen returns (a bytes
			// buffer, unlike a terminal, cannot be cancelled), so two screens on one buffer would race on it
			io, _, _, _ := Test()
			final, err := RunScreen(c.ctx, io, c.m)
			if c.wantErr == "" && err != nil {
				t.Fatalf("want a quiet stop, got %v", err)
			}
			if c.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), c.wantErr)) {
				t.Fatalf("want %q…, got %v", c.wantErr, err)
			}
			if c.wantRun && final.seen == 0 {
				t.Fatal("the final model is not the one the screen ended with")
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{tea.ErrInterrupted, true},
		{tea.ErrProgramKilled, true},
		{errors.Join(tea.ErrProgramKilled, context.Canceled), true},
		{errors.Join(tea.ErrProgramKilled, tea.ErrProgramPanic), false},
		{errors.Join(tea.ErrProgramKilled, errors.New("read /dev/tty: i/o error")), false},
		{errors.New("other"), false},
	} {
		if got := Interrupted(c.err); got != c.want {
			t.Errorf("Interrupted(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
