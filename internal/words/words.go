// Package words holds the bits of English that the plugin's messages share.
package words

import "strconv"

// Count is n and the noun, plural unless n is 1: "1 setup", "0 setups", "3 warnings". The noun is a regular one
// (its plural adds an s).
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
