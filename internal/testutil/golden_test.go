package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	cases := []struct{ name, a, b, want string }{
		{"one line changed", "a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n",
			"@@ line 2 @@\n b\n c\n-d\n+D\n e\n f"},
		{"added at the end", "a\nb\n", "a\nb\nc\n", "@@ line 1 @@\n a\n b\n+c"},
		{"removed at the start", "x\na\nb\nc\nd\n", "a\nb\nc\nd\n", "@@ line 1 @@\n-x\n a\n b"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n",
			"@@ line 1 @@\n 1\n-2\n+X\n 3\n 4\n@@ line 7 @@\n 7\n 8\n-9\n+Y\n 10"},
		{"missing final newline", "a\nb\n", "a\nb", "@@ line 1 @@\n a\n-b\n+b\n\\ no newline at end"},
	}
	for _, c := range cases {
		if got := Diff(c.a, c.b); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
	// A long output is cut.
	long := strings.Repeat("x\n", 500)
	if got := Diff(long, strings.Repeat("y\n", 500)); strings.Count(got, "\n") > maxDiffLines+1 || !strings.Contains(got, "more diff lines") {
		t.Errorf("long diff not cut: %d lines", strings.Count(got, "\n"))
	}
}

// TestGolden: a match passes, a mismatch fails, -update rewrites.
func TestGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte("a\nb\n"), 0o644)
	Golden(t, path, "a\nb\n")
	var ft fakeT
	Golden(&ft, path, "a\nc\n")
	if !ft.failed || !strings.Contains(ft.msg, "-b\n+c") {
		t.Errorf("mismatch: failed %v, message %q", ft.failed, ft.msg)
	}
	*update = true
	defer func() { *update = false }()
	Golden(t, path, "new\n")
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("-update wrote %q", b)
	}
}

// fakeT records a failure instead of failing.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, a ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, a...)
}
