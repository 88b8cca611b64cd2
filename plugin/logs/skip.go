package logs

import (
	"bytes"
	"strconv"
)

// lineSkipper lets ScanReader drop whole runs of buffered lines without looking at each one, as grep does:
// when every line that can pass the filter must contain one of a few literals (needles), the complete lines
// before the first needle in the buffer cannot pass. Only a status filter of exact codes gives needles (for
// `--status 401,403`: "401", "403" and a backslash); other filters go line by line through QuickReject.
//
// Why those needles are necessary: a line passes `--status 401` only when its status field reads 401. In text
// that field is `http.status=<digits>` or `http.status="<digits>"` where the digits, read by atoi, are 401:
// "401" or "0401", both containing "401". In JSON the value is the number 401 (a JSON number has no leading
// zero), the string "401"/"0401", or a string or key written with escapes, which needs a backslash; any other
// value reads as 0.
type lineSkipper struct {
	needles [][]byte
	// next[k] is the stream offset of needle k's next occurrence at or after the reader's position, or -1 when
	// it does not occur before searched[k].
	next, searched []int64
	// off is the stream offset of the reader's first buffered byte.
	off int64
}

// newLineSkipper returns nil when the filter gives no needles.
func newLineSkipper(f *Filter) *lineSkipper {
	if f == nil || len(f.Statuses) == 0 || len(f.Statuses) > 8 {
		return nil
	}
	s := &lineSkipper{needles: [][]byte{{'\\'}}}
	for _, r := range f.Statuses {
		if r.Lo != r.Hi || r.Lo <= 0 {
			return nil
		}
		s.needles = append(s.needles, strconv.AppendInt(nil, int64(r.Lo), 10))
	}
	s.next = make([]int64, len(s.needles))
	s.searched = make([]int64, len(s.needles))
	for k := range s.next {
		s.next[k] = -1
	}
	return s
}

// consumed records that the reader moved n bytes past its position.
func (s *lineSkipper) consumed(n int) { s.off += int64(n) }

// skip returns how many leading bytes of buf (the reader's buffered bytes) are complete lines without any
// needle: they can be discarded unread.
func (s *lineSkipper) skip(buf []byte) int {
	end := s.off + int64(len(buf))
	first := int64(-1)
	for k, nd := range s.needles {
		if s.next[k] < s.off {
			from := max(s.off, s.searched[k]-int64(len(nd)-1))
			if i := bytes.Index(buf[from-s.off:], nd); i >= 0 {
				s.next[k] = from + int64(i)
			} else {
				s.next[k], s.searched[k] = -1, end
			}
		}
		if n := s.next[k]; n >= 0 && (first < 0 || n < first) {
			first = n
		}
	}
	if first >= 0 {
		buf = buf[:first-s.off]
	}
	return bytes.LastIndexByte(buf, '\n') + 1
}
