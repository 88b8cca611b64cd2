package logs

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// parallelMin is the smallest file ScanFile splits between workers: below it one reader is as fast. A variable
// for tests.
var parallelMin int64 = 8 << 20

// maxHeld is how many bytes of passing lines a worker that is not yet emitting may hold before it waits for its
// turn, so memory stays small whatever the filter passes. A variable for tests.
var maxHeld = 4 << 20

// ScanFile scans a saved log like ScanReader, splitting it at line starts into one part per worker, each scanned
// by its own Pipeline from newPipeline (same filter and Since). emit sees the passing lines in file order, one at a
// time: the worker of the first part emits as it goes; a later part keeps a copy of its passing lines (up to
// maxHeld bytes, then it waits) and emits them once every part before it is done. Lines are never split between
// parts, so counts are exact. With one worker, or a file smaller than parallelMin, it is ScanReader.
//
// lineOnly says emit reads nothing of a View but Line and Time (raw output, a tail kept for later): held lines are
// then handed over as they are, not parsed a second time.
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
		// turn is the part whose lines are being emitted: written with mu held, read without it by a part that is
		// only keeping its lines (it only grows, and reaches a part only when that part is next)
		turn   atomic.Int64
		fail   error       // the first error: every worker stops
		failed atomic.Bool // fail is set (readable without mu)
	)
	setFail := func(err error) { // mu held
		if fail == nil {
			fail = err
			failed.Store(true)
		}
		cond.Broadcast()
	}
	reparse := &Pipeline{} // parses held lines again when they are emitted (no filter: they passed already)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h held
			var bare View // what lineOnly hands over: Line and the stream's time, nothing parsed
			// emitLocked emits one line; mu is held and it is this part's turn.
			emitLocked := func(v *View) error {
				if fail != nil {
					return fail
				}
				if err := emit(v); err != nil {
					setFail(err)
					return err
				}
				return nil
			}
			flush := func() error { // mu held, turn == k
				for _, hl := range h.lines {
					line, ts := hl.line, hl.ts
					v := &bare
					if lineOnly {
						bare.Line, bare.Time = line, ts
					} else {
						v, _ = reparse.Process(line, ts)
					}
					if err := emitLocked(v); err != nil {
						return err
					}
				}
				h.reset()
				return nil
			}
			waitTurn := func() error { // mu held
				for turn.Load() != int64(k) && fail == nil {
					cond.Wait()
				}
				return fail
			}
			err := newPipeline().ScanReader(io.NewSectionReader(r, bounds[k], bounds[k+1]-bounds[k]), func(v *View) error {
				if turn.Load() != int64(k) && h.size+len(v.Line) < maxHeld { // not yet this part's turn: keep it
					if failed.Load() {
						return errStopped
					}
					h.add(v)
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				if fail != nil {
					return fail
				}
				if turn.Load() != int64(k) { // holding all it may: wait for its turn
					if err := waitTurn(); err != nil {
						return err
					}
				}
				if err := flush(); err != nil {
					return err
				}
				return emitLocked(v)
			}, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				setFail(err)
				return
			}
			if waitTurn() != nil || flush() != nil {
				return
			}
			turn.Add(1)
			cond.Broadcast()
		}()
	}
	wg.Wait()
	return fail
}

// errStopped ends a worker's scan after another worker failed (the first error is what ScanFile returns).
var errStopped = errors.New("stopped")

// held is a copy of the passing lines a part keeps until its turn, in blocks of heldBlock bytes (a longer line gets
// a block of its own) so that holding more never copies what is held; blocks are reused after a flush.
type held struct {
	blocks [][]byte
	cur    int // the block being filled
	size   int // bytes held
	lines  []heldLine
}

const heldBlock = 256 << 10

type heldLine struct {
	line []byte
	ts   time.Time
}

func (h *held) add(v *View) {
	n := len(v.Line)
	for h.cur < len(h.blocks) && cap(h.blocks[h.cur])-len(h.blocks[h.cur]) < n {
		h.cur++
	}
	if h.cur == len(h.blocks) {
		h.blocks = append(h.blocks, make([]byte, 0, max(heldBlock, n)))
	}
	b := h.blocks[h.cur]
	start := len(b)
	b = append(b, v.Line...)
	h.blocks[h.cur] = b
	h.size += n
	h.lines = append(h.lines, heldLine{line: b[start:len(b):len(b)], ts: v.Time})
}

func (h *held) reset() {
	for i := range h.blocks {
		h.blocks[i] = h.blocks[i][:0]
	}
	h.cur, h.size = 0, 0
	clear(h.lines)
	h.lines = h.lines[:0]
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
