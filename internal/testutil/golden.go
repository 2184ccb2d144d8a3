package testutil

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and recorded tshark output instead of comparing with them")

// Update reports whether the tests were asked (-update) to rewrite their
// golden files and recorded outputs.
func Update() bool { return *update }

// Golden compares got with the golden file at path; under -update it
// rewrites the file first. A mismatch fails the test with a line diff of
// the two, not the whole output.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (- golden, + got; go test -update rewrites it):\n%s", path, Diff(string(want), got))
	}
}

// diffContext is how many equal lines a hunk shows around its changes;
// maxDiffLines bounds the diff printed.
const (
	diffContext  = 2
	maxDiffLines = 80
)

// Diff returns a unified-style line diff from a to b: hunks headed "@@
// line N @@" (N is a's line), lines prefixed "-" (only in a), "+" (only in
// b) or " " (context). It is for test failures: small inputs, plain
// output, cut after maxDiffLines lines.
func Diff(a, b string) string {
	ops := lineOps(lines(a), lines(b))
	var out []string
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk goes on while the next change is near enough for the
		// context around both to touch.
		last := i
		for j := i + 1; j < len(ops) && j-last <= 2*diffContext; j++ {
			if ops[j].kind != ' ' {
				last = j
			}
		}
		start, end := max(0, i-diffContext), min(len(ops), last+diffContext+1)
		out = append(out, fmt.Sprintf("@@ line %d @@", ops[start].line+1))
		for _, op := range ops[start:end] {
			out = append(out, string(op.kind)+strings.TrimSuffix(op.text, "\n"))
			if !strings.HasSuffix(op.text, "\n") {
				out = append(out, `\ no newline at end`)
			}
		}
		i = last + 1
	}
	if len(out) > maxDiffLines {
		out = append(out[:maxDiffLines], fmt.Sprintf("… %d more diff lines", len(out)-maxDiffLines))
	}
	return strings.Join(out, "\n")
}

// lines splits s after each newline; a last line without one stays as it
// is, so that a missing final newline shows.
func lines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}

// lineOp is one line of the diff; line is its index in a (for "+" lines,
// where it would go).
type lineOp struct {
	kind byte // ' ', '-' or '+'
	text string
	line int
}

// lineOps aligns x and y on a longest common subsequence of lines. The
// table is quadratic, fine for golden files; inputs too big for it are
// shown as all of x removed and all of y added past their common prefix.
func lineOps(x, y []string) []lineOp {
	var ops []lineOp
	p := 0
	for p < len(x) && p < len(y) && x[p] == y[p] {
		ops = append(ops, lineOp{' ', x[p], p})
		p++
	}
	x, y = x[p:], y[p:]
	if len(x)*len(y) > 4_000_000 {
		for i, l := range x {
			ops = append(ops, lineOp{'-', l, p + i})
		}
		for _, l := range y {
			ops = append(ops, lineOp{'+', l, p + len(x)})
		}
		return ops
	}
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int32, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, lineOp{' ', x[i], p + i})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			// Removals before additions, as diff prints them.
			ops = append(ops, lineOp{'-', x[i], p + i})
			i++
		default:
			ops = append(ops, lineOp{'+', y[j], p + i})
			j++
		}
	}
	return ops
}
