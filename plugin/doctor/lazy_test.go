package doctor

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// A lazy value is computed once however many checks ask at once, each gets the same value, a panic in its
// computation is an error (not a crash), and a waiter whose context ends stops waiting.
func TestLazy(t *testing.T) {
	t.Run("once", func(t *testing.T) {
		var calls atomic.Int32
		release := make(chan struct{})
		l := newLazy(func(context.Context) (int, error) {
			<-release
			return int(calls.Add(1)) * 7, nil
		})
		var wg sync.WaitGroup
		got := make([]int, 16)
		for i := range got {
			wg.Go(func() { got[i], _ = l.get(context.Background()) })
		}
		close(release)
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("computed %d times, want once", n)
		}
		for i, v := range got {
			if v != 7 {
				t.Fatalf("caller %d got %d, want 7", i, v)
			}
		}
	})
	t.Run("panic", func(t *testing.T) {
		l := newLazy(func(context.Context) (string, error) { panic("boom") })
		if _, err := l.get(context.Background()); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err = %v, want the panic as an error", err)
		}
		if _, err := l.get(context.Background()); err == nil {
			t.Fatal("a second get must see the same error")
		}
	})
	t.Run("waiter cancelled", func(t *testing.T) {
		started, release := make(chan struct{}), make(chan struct{})
		l := newLazy(func(context.Context) (int, error) {
			close(started)
			<-release
			return 1, nil
		})
		first := make(chan int)
		go func() { v, _ := l.get(context.Background()); first <- v }()
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := l.get(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("waiter err = %v, want context.Canceled", err)
		}
		close(release)
		if v := <-first; v != 1 {
			t.Fatalf("first caller got %d", v)
		}
	})
}
