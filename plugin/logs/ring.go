package logs

// DefaultBuffer is how many entries a screen keeps (--buffer).
const DefaultBuffer = 5000

// Ring is a bounded buffer that keeps the newest Cap entries: memory stays flat however many lines arrive.
type Ring[T any] struct {
	buf   []T
	start int
	n     int
	total uint64
}

// NewRing returns a ring holding at most capacity items (at least 1).
func NewRing[T any](capacity int) *Ring[T] {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring[T]{buf: make([]T, capacity)}
}

// Push appends x, dropping the oldest item when full.
func (r *Ring[T]) Push(x T) {
	r.total++
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = x
		r.n++
		return
	}
	r.buf[r.start] = x
	r.start = (r.start + 1) % len(r.buf)
}

// Len is the number of items held.
func (r *Ring[T]) Len() int { return r.n }

// Cap is the most items held.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Total is how many items were ever pushed.
func (r *Ring[T]) Total() uint64 { return r.total }

// Dropped is how many items were pushed out.
func (r *Ring[T]) Dropped() uint64 { return r.total - uint64(r.n) }

// At returns the i-th item, 0 = oldest held.
func (r *Ring[T]) At(i int) *T { return &r.buf[(r.start+i)%len(r.buf)] }
