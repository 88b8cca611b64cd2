// Package tuitest reads the screen of a Bubble Tea model running in teatest, for the tests of tui/<screen>. A test
// waits on the whole screen, asked of the model from inside the program's loop, not on teatest's output stream:
// the renderer writes only the cells that changed between two frames, so a row that differs by one digit from the
// row drawn there before is written as that digit alone, and text already on screen is never written again.
// Test-only: the plugin never imports it.
package tuitest

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// Patience is how long a wait lasts before the test fails: far longer than any state takes on a loaded machine
// (-race, other builds), so only a broken screen reaches it. It is a deadline, not a sleep.
const Patience = 90 * time.Second

// poll is how long a wait pauses between two reads of the screen.
const poll = 25 * time.Millisecond

// Probe wraps m so that Screen, Wait and Read can ask it what it shows; run the result in teatest.NewTestModel.
func Probe(m tea.Model) tea.Model { return probed{m} }

// probed answers probes in Update, between two of the model's own Updates: no data race with them.
type probed struct{ tea.Model }

// probeMsg is run by Update on the wrapped model.
type probeMsg func(m tea.Model)

func (p probed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if f, ok := msg.(probeMsg); ok {
		f(p.Model)
		return p, nil
	}
	m, cmd := p.Model.Update(msg)
	p.Model = m
	return p, cmd
}

// Text is what m shows: its View without styling.
func Text(m tea.Model) string { return ansi.Strip(m.View().Content) }

// probe sends read into the program's loop and returns what it made of the model there; ok is false when no
// answer came within wait (the program has ended, or its model is not wrapped by Probe).
func probe[T any](tm *teatest.TestModel, read func(m tea.Model) T, wait time.Duration) (v T, ok bool) {
	ch := make(chan T, 1)
	tm.Send(probeMsg(func(m tea.Model) { ch <- read(m) }))
	select {
	case v = <-ch:
		return v, true
	case <-time.After(wait):
		return v, false
	}
}

// noAnswer is why a probe was not answered.
const noAnswer = "the program does not answer probes: it has ended, or its model is not wrapped by tuitest.Probe"

// Read returns what read makes of the model Probe wrapped, called inside the program's loop.
func Read[T any](t testing.TB, tm *teatest.TestModel, read func(m tea.Model) T) T {
	t.Helper()
	v, ok := probe(tm, read, Patience)
	if !ok {
		t.Fatalf("after %s, %s", Patience, noAnswer)
	}
	return v
}

// Screen returns what the program shows now, without styling.
func Screen(t testing.TB, tm *teatest.TestModel) string {
	t.Helper()
	return Read(t, tm, Text)
}

// WaitRead reads the model as Read does until ok holds for what read returns, and returns that; what says what is
// awaited when after Patience it still does not hold (the test fails, showing the screen).
func WaitRead[T any](t testing.TB, tm *teatest.TestModel, what string, read func(m tea.Model) T, ok func(v T) bool) T {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for {
		v, answered := probe(tm, read, max(time.Until(deadline), time.Second))
		if !answered {
			t.Fatalf("waiting for %s: %s", what, noAnswer)
		}
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			screen, _ := probe(tm, Text, time.Second)
			t.Fatalf("after %s the screen still does not show %s; it shows:\n%s", Patience, what, screen)
		}
		time.Sleep(poll)
	}
}

// Wait reads the screen until ok holds for it, and returns it; what says what is awaited when after Patience it
// still does not hold (the test fails, showing the screen).
func Wait(t testing.TB, tm *teatest.TestModel, what string, ok func(screen string) bool) string {
	t.Helper()
	return WaitRead(t, tm, what, Text, ok)
}

// WaitFor waits until the screen shows every one of texts, and returns it.
func WaitFor(t testing.TB, tm *teatest.TestModel, texts ...string) string {
	t.Helper()
	return Wait(t, tm, `"`+strings.Join(texts, `" and "`)+`"`, func(screen string) bool {
		for _, s := range texts {
			if !strings.Contains(screen, s) {
				return false
			}
		}
		return true
	})
}

// Final waits (Patience at most) for the program to end and returns the model Probe wrapped, as the program left
// it.
func Final(t testing.TB, tm *teatest.TestModel) tea.Model {
	t.Helper()
	m := tm.FinalModel(t, teatest.WithFinalTimeout(Patience))
	if p, ok := m.(probed); ok {
		return p.Model
	}
	return m
}
