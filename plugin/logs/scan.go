package logs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"time"
)

// MaxLine is the longest line kept whole; longer lines are cut (never dropped).
const MaxLine = 1 << 20

// Pipeline parses, filters and counts lines. It is not safe for concurrent use.
type Pipeline struct {
	Filter *Filter
	// Since drops lines older than this (zero = keep all); lines without a time are kept.
	Since time.Time
	// Stats, when set, counts every line that passed.
	Stats *Stats

	v View
}

// Process parses one line (content without prefixes; ts may be zero) and returns the view when it passes. The
// view is valid until the next call.
func (p *Pipeline) Process(line []byte, ts time.Time) (*View, bool) {
	if p.Filter.QuickReject(line) {
		return nil, false
	}
	Parse(line, &p.v)
	p.v.Time = ts
	if !p.Filter.Empty() && !p.Filter.Match(&p.v) {
		return nil, false
	}
	if !p.Since.IsZero() {
		if t := p.v.ParsedTime(); !t.IsZero() && t.Before(p.Since) {
			return nil, false
		}
	}
	if p.Stats != nil {
		p.Stats.Add(&p.v)
	}
	return &p.v, true
}

// ScanReader reads a saved log from r (plain proxy lines, or CRI-format node log lines whose prefix is
// stripped) and calls emit for every line that passes. Before each read that may block it calls idle (flush
// output there, so a pipe sees every line as soon as it was read). Binary garbage, a missing final newline and
// very long lines are all handled: every line reaches the parser, except runs of lines that provably cannot
// pass the filter (see lineSkipper).
func (p *Pipeline) ScanReader(r io.Reader, emit func(*View) error, idle func() error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	skip := newLineSkipper(p.Filter)
	var long []byte
	for {
		if idle != nil && !hasLine(br) {
			if err := idle(); err != nil {
				return err
			}
		}
		if skip != nil && long == nil && br.Buffered() > 0 {
			buf, _ := br.Peek(br.Buffered())
			if n := skip.skip(buf); n > 0 {
				_, _ = br.Discard(n)
				skip.consumed(n)
				continue
			}
		}
		chunk, err := br.ReadSlice('\n')
		if skip != nil {
			skip.consumed(len(chunk))
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < MaxLine {
				long = append(long, chunk[:min(len(chunk), MaxLine-len(long))]...)
			}
			continue
		}
		line := chunk
		if long != nil {
			if len(long) < MaxLine {
				long = append(long, chunk[:min(len(chunk), MaxLine-len(long))]...)
			}
			line = long
		}
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		}
		if len(line) > 0 || err == nil {
			content, ts, _ := StripCRI(line)
			if v, ok := p.Process(content, ts); ok {
				if e := emit(v); e != nil {
					return e
				}
			}
		}
		long = nil
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

func hasLine(br *bufio.Reader) bool {
	n := br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}
