package words

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "setup", "0 setups"},
		{1, "setup", "1 setup"},
		{2, "warning", "2 warnings"},
		{1, "query parameter", "1 query parameter"},
		{12, "query parameter", "12 query parameters"},
	} {
		if got := Count(c.n, c.noun); got != c.want {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}
