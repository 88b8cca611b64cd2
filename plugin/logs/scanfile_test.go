package logs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// scanAll returns the lines (and stream times) ScanFile emits with the given number of workers, and each line's
// parsed status and reason unless lineOnly.
func scanAll(t *testing.T, data []byte, workers int, f *Filter, since time.Time, lineOnly bool) (string, error) {
	t.Helper()
	var out strings.Builder
	err := ScanFile(bytes.NewReader(data), int64(len(data)), workers, func() *Pipeline {
		return &Pipeline{Filter: f, Since: since}
	}, lineOnly, func(v *View) error {
		fmt.Fprintf(&out, "%s|%s", v.Line, v.Time.Format(time.RFC3339Nano))
		if !lineOnly {
			fmt.Fprintf(&out, "|%d|%s", v.Status, v.Reason)
		}
		out.WriteByte('\n')
		return nil
	})
	return out.String(), err
}

func TestScanFileMatchesOneReaderInOrder(t *testing.T) {
	defer lowerParallelMin()()
	var buf bytes.Buffer
	GenerateMixed(&buf, 6000)
	// CRI-format lines, a very long line, a line without a status, and no final newline, at places that land
	// inside the parts
	buf.WriteString("2025-11-20T10:41:00.000000001Z stdout F " + `{"http.status":401,"route":"agentcore/agentcore","reason":"JwtAuth"}` + "\n")
	buf.WriteString(strings.Repeat("x", 300<<10) + " http.status=401\n")
	data := append(buf.Bytes(), buf.Bytes()...)
	data = append(data, []byte("tail http.status=401 reason=JwtAuth")...)
	if int64(len(data)) < parallelMin {
		t.Fatalf("test data %d bytes, below parallelMin", len(data))
	}
	st401, _ := ParseStatuses([]string{"401"})
	st4xx, _ := ParseStatuses([]string{"4xx"})
	for _, tc := range []struct {
		name string
		f    *Filter
	}{
		{"401", &Filter{Statuses: st401}},
		{"4xx JwtAuth", &Filter{Statuses: st4xx, Reasons: []string{"JwtAuth"}}},
		{"no filter", nil},
	} {
		for _, lineOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/lineOnly=%v", tc.name, lineOnly), func(t *testing.T) {
				want, err := scanAll(t, data, 1, tc.f, time.Time{}, lineOnly)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Count(want, "\n") < 100 {
					t.Fatalf("reference scan found %d lines", strings.Count(want, "\n"))
				}
				for _, w := range []int{2, 3, 7} {
					got, err := scanAll(t, data, w, tc.f, time.Time{}, lineOnly)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("%d workers: %d bytes of output, one reader %d; first difference %.300q", w, len(got), len(want), firstDiff(strings.Split(got, "\n"), strings.Split(want, "\n")))
					}
				}
			})
		}
	}
}

func TestScanFileHoldsLittleAndStopsOnError(t *testing.T) {
	defer lowerParallelMin()()
	old := maxHeld
	maxHeld = 600 // bytes: later parts wait for their turn after a line or two
	defer func() { maxHeld = old }()
	var buf bytes.Buffer
	GenerateMixed(&buf, 4000)
	data := buf.Bytes()
	want, _ := scanAll(t, data, 1, nil, time.Time{}, false)
	got, err := scanAll(t, data, 4, nil, time.Time{}, false)
	if err != nil || got != want {
		t.Fatalf("holding 600 bytes: err %v, equal %v", err, got == want)
	}

	stop := errors.New("closed pipe")
	n := 0
	err = ScanFile(bytes.NewReader(data), int64(len(data)), 4, func() *Pipeline { return &Pipeline{} }, false, func(*View) error {
		n++
		if n == 1000 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1000 {
		t.Fatalf("after an emit error: err %v, %d lines emitted (want the error and 1000)", err, n)
	}
}

func TestSplitAtLines(t *testing.T) {
	data := []byte("aaaa\nbbbbbbbbbbbbbbbbbbbb\nc\n\nddd")
	b, err := splitAtLines(bytes.NewReader(data), int64(len(data)), 4)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 0 || b[len(b)-1] != int64(len(data)) {
		t.Fatalf("bounds %v do not cover the data", b)
	}
	for _, x := range b[1 : len(b)-1] {
		if data[x-1] != '\n' {
			t.Fatalf("bound %d (of %v) is not a line start", x, b)
		}
	}
	one := []byte(strings.Repeat("z", 1000)) // no newline at all: one part
	if b, _ := splitAtLines(bytes.NewReader(one), 1000, 4); len(b) != 2 {
		t.Fatalf("a file of one line split into %v", b)
	}
}

// lowerParallelMin lets small test data be split; call the result to restore.
func lowerParallelMin() func() {
	old := parallelMin
	parallelMin = 256 << 10
	return func() { parallelMin = old }
}
