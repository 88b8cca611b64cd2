package logs

// This file: the batching between a log source and a screen. Entries arrive as fast as the gateway writes them;
// a screen takes them in batches at most every FrameInterval, with every entry counted even when a flood makes
// the batcher drop some before they are shown.

import (
	"context"
	"time"
)

// FrameInterval is the shortest time between two batches (so a screen draws at most ~20 frames a second for new
// lines).
const FrameInterval = 50 * time.Millisecond

// Batch is what a screen receives: new entries (oldest first), the current counters, and changes.
type Batch struct {
	Entries []Entry
	// Dropped counts entries that arrived faster than the screen took them and were never shown (they are in
	// Report's counts).
	Dropped int
	Report  StatsReport
	Pods    []string // nil = unchanged
	Notice  string
	// Done says the source has ended (a --file read to its end, or a non-follow read).
	Done bool
	Err  error
}

// Batcher turns a stream of entries and events into batches sent at most every interval. It counts every
// entry (Report), keeps at most max pending entries between two batches (older ones are dropped, counted),
// and closes the returned channel after the source ends (entries closed) with a final Done batch.
func Batcher(ctx context.Context, entries <-chan Entry, events <-chan Event, errc <-chan error, max int, interval time.Duration) <-chan Batch {
	out := make(chan Batch)
	go func() {
		defer close(out)
		stats := NewStats()
		var pending []Entry
		var b Batch
		dirty := false
		tick := time.NewTicker(interval)
		defer tick.Stop()
		flush := func(done bool) bool {
			b.Entries = pending
			b.Report = stats.Report()
			b.Done = done
			select {
			case out <- b:
			case <-ctx.Done():
				return false
			}
			pending, b, dirty = nil, Batch{}, false
			return true
		}
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-entries:
				if !ok {
					entries = nil
					if errc == nil {
						flush(true)
						return
					}
					continue
				}
				stats.AddEntry(&e)
				if len(pending) >= max {
					pending[0] = Entry{}
					pending = pending[1:] // O(1); append reallocates now and then, so memory stays ~2×max
					b.Dropped++
				}
				pending = append(pending, e)
				dirty = true
			case ev := <-events:
				if ev.Pods != nil {
					b.Pods = ev.Pods
				}
				if ev.Notice != "" {
					b.Notice = ev.Notice
				}
				dirty = true
			case err := <-errc:
				errc = nil
				b.Err = err
				dirty = true
				if entries == nil {
					flush(true)
					return
				}
			case <-tick.C:
				if dirty && !flush(false) {
					return
				}
			}
		}
	}()
	return out
}
