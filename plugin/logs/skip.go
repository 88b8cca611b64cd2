package logs

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineSkipper lets ScanReader drop whole runs of buffered lines without looking at each one, as grep does:
// when every line that can pass the filter must contain one of a few literals (needles), the complete lines
// before the first needle in the buffer cannot pass. The needles come from one criterion of the filter (a line
// must pass them all): exact status codes first, else reasons, else routes; a filter with none of those (a
// status class or range alone, --grep) goes line by line through QuickReject.
//
// Why those needles are necessary. A backslash is always one: in JSON a key or a string value may be written
// with escapes, and then the line is left to the parser.
//   - `--status 401,403`: "401", "403". A line passes only when its status field reads 401. In text that field is
//     `http.status=<digits>` or `http.status="<digits>"` where the digits, read by atoi, are 401: "401" or
//     "0401", both containing "401". In JSON the value is the number 401 (a JSON number has no leading zero),
//     the string "401"/"0401", or a string or key written with escapes; any other value reads as 0.
//   - `--reason JwtAuth`: the case variants of one ASCII character of each reason ('j' and 'J'). Match compares
//     reasons with bytes.EqualFold, whose simple case folding maps an ASCII letter only to the runes of its
//     fold orbit (for k and s that includes U+212A and U+017F, written in UTF-8); a text value is compared as
//     written, and a JSON string decodes to an ASCII character only from that character or an escape. The
//     rarest character of the reason is chosen (by English letter frequency), so few lines are looked at.
//   - `--route ns/name` or `--route name`: the route as written; matchRoute compares bytes exactly.
//
// "none" for a reason and an empty route match lines without one: then that criterion gives no needles.
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
	if f == nil {
		return nil
	}
	needles := statusNeedles(f.Statuses)
	if needles == nil {
		needles = reasonNeedles(f.Reasons)
	}
	if needles == nil {
		needles = routeNeedles(f.Routes)
	}
	if needles == nil || len(needles) > 16 {
		return nil
	}
	s := &lineSkipper{needles: append([][]byte{{'\\'}}, needles...)}
	s.next = make([]int64, len(s.needles))
	s.searched = make([]int64, len(s.needles))
	for k := range s.next {
		s.next[k] = -1
	}
	return s
}

func statusNeedles(statuses []StatusRange) [][]byte {
	var out [][]byte
	for _, r := range statuses {
		if r.Lo != r.Hi || r.Lo <= 0 {
			return nil
		}
		out = append(out, strconv.AppendInt(nil, int64(r.Lo), 10))
	}
	return out
}

// rareFirst ranks ASCII letters from the rarest in English text; any other ASCII character ranks after them.
const rareFirst = "zqxjvkbpygfwmucldrhsnioate"

func reasonNeedles(reasons []string) [][]byte {
	var out [][]byte
	for _, r := range reasons {
		if strings.EqualFold(r, "none") {
			return nil
		}
		best, bestRank := -1, len(rareFirst)+1
		for i := 0; i < len(r); i++ {
			c := r[i]
			if c >= utf8.RuneSelf {
				continue // a non-ASCII character may come from invalid UTF-8 in JSON (U+FFFD): never a needle
			}
			rank := len(rareFirst)
			if l := c | 0x20; l >= 'a' && l <= 'z' { // a letter, either case
				rank = strings.IndexByte(rareFirst, l)
			}
			if rank < bestRank {
				best, bestRank = i, rank
			}
		}
		if best < 0 {
			return nil
		}
		c := rune(r[best])
		out = append(out, utf8.AppendRune(nil, c))
		for o := unicode.SimpleFold(c); o != c; o = unicode.SimpleFold(o) {
			out = append(out, utf8.AppendRune(nil, o))
		}
	}
	return out
}

func routeNeedles(routes []string) [][]byte {
	var out [][]byte
	for _, r := range routes {
		if r == "" {
			return nil
		}
		out = append(out, []byte(r))
	}
	return out
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
