package logs

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"time"
)

// parallelMin is the smallest file ScanFile splits between workers: below it one reader is as fast. A variable
// for tests.
var parallelMin int64 = 8 << 20

// maxHeld is how many passing lines a worker that is not yet emitting may hold (16 bytes each: where they are in
// the file) before it waits for its turn, so memory stays small whatever the filter passes. A variable for tests.
var maxHeld = 1 << 18

// ScanFile scans a saved log like ScanReader, splitting it at line starts into one part per worker, each scanned
// by its own Pipeline from newPipeline (same filter and Since). emit sees the passing lines in file order, one at a
// time: the worker of the first part emits as it goes; a later part notes where its passing lines are (up to
// maxHeld, then it waits) and, once every part before it is done, reads them again and emits them. Lines are never
// split between parts, so counts are exact. With one worker, or a file smaller than parallelMin, it is ScanReader.
//
// lineOnly says emit reads nothing of a View but Line (raw output, a tail kept for later): held lines are then
// handed over as they are, not parsed a second time.
func ScanFile(r io.ReaderAt, size int64, workers int, newPipeline func() *Pipeline, lineOnly bool, emit func(*View) error) error {
	if workers < 2 || size < parallelMin {
		return newPipeline().ScanReader(io.NewSectionReader(r, 0, size), emit, nil)
	}
	bounds, err := splitAtLines(r, size, workers)
	if err != nil {
		return err
	}
	n := len(bounds) - 1
	var (
		mu   sync.Mutex
		cond = sync.NewCond(&mu)
		turn int   // the part whose lines are being emitted
		fail error // the first error: every worker stops
	)
	reparse := &Pipeline{} // parses held lines again when they are emitted (no filter: they passed already)
	// emitLocked emits one held or fresh line; mu is held.
	emitLocked := func(v *View) error {
		if fail != nil {
			return fail
		}
		if err := emit(v); err != nil {
			fail = err
			cond.Broadcast()
			return err
		}
		return nil
	}
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []span // file offsets of passing lines not yet emitted
			var win window
			var bare View           // what lineOnly hands over: Line (and the stream's time), nothing parsed
			flush := func() error { // mu held, turn == k
				for _, sp := range held {
					raw, err := win.read(r, sp)
					if err != nil {
						fail = err
						return err
					}
					var v *View
					if line, ts := lineOf(raw); lineOnly {
						bare.Line, bare.Time = line, ts
						v = &bare
					} else {
						v, _ = reparse.Process(line, ts)
					}
					if err := emitLocked(v); err != nil {
						return err
					}
				}
				held = held[:0]
				return nil
			}
			waitTurn := func() error { // mu held
				for turn != k && fail == nil {
					cond.Wait()
				}
				return fail
			}
			pipe := newPipeline()
			err := pipe.ScanReader(io.NewSectionReader(r, bounds[k], bounds[k+1]-bounds[k]), func(v *View) error {
				mu.Lock()
				defer mu.Unlock()
				if fail != nil {
					return fail
				}
				if turn == k {
					if err := flush(); err != nil {
						return err
					}
					return emitLocked(v)
				}
				held = append(held, span{bounds[k] + pipe.LineStart, bounds[k] + pipe.LineEnd})
				if len(held) < maxHeld {
					return nil
				}
				if err := waitTurn(); err != nil {
					return err
				}
				return flush()
			}, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if fail == nil {
					fail = err
				}
				cond.Broadcast()
				return
			}
			if waitTurn() != nil || flush() != nil {
				return
			}
			turn++
			cond.Broadcast()
		}()
	}
	wg.Wait()
	return fail
}

// splitAtLines returns part boundaries b[0]=0 < b[1] < … < b[len-1]=size, each inner one just after a newline
// near size*k/workers (fewer parts when lines are longer than a part).
func splitAtLines(r io.ReaderAt, size int64, workers int) ([]int64, error) {
	bounds := []int64{0}
	buf := make([]byte, 64<<10)
	for k := 1; k < workers; k++ {
		off := max(size*int64(k)/int64(workers), bounds[len(bounds)-1])
		next := int64(-1)
		for off < size && next < 0 {
			m, err := r.ReadAt(buf, off)
			if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
				next = off + int64(i) + 1
			}
			off += int64(m)
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			if m == 0 {
				break
			}
		}
		if next < 0 || next >= size {
			break
		}
		if next > bounds[len(bounds)-1] {
			bounds = append(bounds, next)
		}
	}
	return append(bounds, size), nil
}

// span is where a line lies in the file: [start, end), end after its newline.
type span struct{ start, end int64 }

// window re-reads held lines: one read fetches the lines near each other.
type window struct {
	buf []byte
	off int64 // file offset of buf[0]
}

func (w *window) read(r io.ReaderAt, sp span) ([]byte, error) {
	if sp.start >= w.off && sp.end <= w.off+int64(len(w.buf)) {
		return w.buf[sp.start-w.off : sp.end-w.off], nil
	}
	n := max(int(sp.end-sp.start), 64<<10)
	if cap(w.buf) < n {
		w.buf = make([]byte, n)
	}
	m, err := r.ReadAt(w.buf[:n], sp.start)
	if m < int(sp.end-sp.start) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	w.buf, w.off = w.buf[:m], sp.start
	return w.buf[:sp.end-sp.start], nil
}

// lineOf is what ScanReader hands Process for a raw line: cut at MaxLine, without its line ending, CRI prefix
// stripped.
func lineOf(raw []byte) ([]byte, time.Time) {
	line := raw[:min(len(raw), MaxLine)]
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	content, ts, _ := StripCRI(line)
	return content, ts
}
