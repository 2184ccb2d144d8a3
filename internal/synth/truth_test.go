package synth

import (
	"fmt"
	"testing"
)

// batch builds one pipelined batch from a picture per exchange: the
// request is "R" (captured whole), "r" (first line only, tail missing) or
// "-" (first line missing); the response "S" (status line captured) or
// "-" (missing).
func batch(pic ...string) []*Exchange {
	var b []*Exchange
	for i, p := range pic {
		e := &Exchange{Index: i}
		switch p[0] {
		case 'R':
			e.ReqFirstFrame, e.ReqFrame = 1, 1
		case 'r':
			e.ReqFirstFrame = 1
		}
		if p[1] == 'S' {
			e.RespFirstFrame = 1
		}
		b = append(b, e)
	}
	return b
}

func TestAmbiguousIn(t *testing.T) {
	for _, c := range []struct {
		pic  []string
		want string // positions flagged
	}{
		{[]string{"RS", "RS", "RS"}, "[]"},
		{[]string{"RS", "R-", "RS", "RS"}, "[]"},          // one response run: counted
		{[]string{"RS", "R-", "RS", "R-"}, "[]"},          // two runs of one: each holds exactly one
		{[]string{"RS", "R-", "R-", "RS", "R-"}, "[2 3]"}, // three in two runs: 2+1 or 1+2
		{[]string{"RS", "RS", "--", "RS"}, "[2]"},         // aligned runs: how many invisible is unknown
		{[]string{"RS", "-S", "RS", "R-"}, "[2]"},         // runs not aligned: the middle pairing moves
		{[]string{"rS", "RS", "R-"}, "[1]"},               // the hole after a lost tail may be a request that R1 answers
		{[]string{"rS", "R-", "RS"}, "[]"},                // here R2 stays anchored to the batch end
		{[]string{"-S", "RS", "RS"}, "[]"},                // one request run: counted
	} {
		b := batch(c.pic...)
		var got []int
		for j, amb := range ambiguousIn(b) {
			if amb {
				got = append(got, j)
			}
		}
		if g := fmt.Sprint(got); g != c.want && !(g == "[]" && c.want == "[]") {
			t.Errorf("%v: ambiguous %s, want %s", c.pic, g, c.want)
		}
	}
}
