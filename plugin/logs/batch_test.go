package logs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestBatcherBoundsAndCounts: a flood between two batches keeps only the newest max entries, counts the rest
// as dropped, and every entry is in the counters of the final Done batch.
func TestBatcherBoundsAndCounts(t *testing.T) {
	entries := make(chan Entry)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := Batcher(ctx, entries, nil, nil, 50, time.Hour) // no tick: everything until the end in one batch
	go func() {
		for i := range 1000 {
			entries <- Entry{Access: true, Status: 401, Route: "agentcore/agentcore", Seq: uint64(i + 1)}
		}
		close(entries)
	}()
	var b Batch
	n := 0
	for x := range batches {
		b = x
		n++
	}
	if n != 1 || !b.Done || len(b.Entries) != 50 || b.Dropped != 950 || b.Report.Lines != 1000 {
		t.Fatalf("batches %d, final: done=%v entries=%d dropped=%d lines=%d", n, b.Done, len(b.Entries), b.Dropped, b.Report.Lines)
	}
	if first, last := b.Entries[0].Seq, b.Entries[49].Seq; first != 951 || last != 1000 {
		t.Fatalf("kept entries %d…%d, want the newest 951…1000", first, last)
	}
}

// TestBatcherEventsAndError: pod changes and notices ride on the next batch; the source's error ends the
// stream with a Done batch that carries it.
func TestBatcherEventsAndError(t *testing.T) {
	entries := make(chan Entry)
	events := make(chan Event, 1)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	batches := Batcher(ctx, entries, events, errc, 10, 5*time.Millisecond)
	events <- Event{Pods: []string{"gw-a", "gw-b"}, Notice: "gw-b restarted"}
	b := <-batches
	if len(b.Pods) != 2 || b.Notice != "gw-b restarted" || b.Done {
		t.Fatalf("first batch %+v", b)
	}
	entries <- Entry{Access: true, Status: 200}
	close(entries)
	boom := errors.New("stream closed")
	errc <- boom
	var last Batch
	for x := range batches {
		last = x
	}
	if !last.Done || !errors.Is(last.Err, boom) || last.Report.Lines != 1 {
		t.Fatalf("last batch: done=%v err=%v lines=%d", last.Done, last.Err, last.Report.Lines)
	}
}
