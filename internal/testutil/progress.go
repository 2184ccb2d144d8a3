package testutil

import (
	"os"
	"testing"
)

// Progress records what an analysis' Progress callback (done, total
// bytes) is told, for the tests that check the bar is fed.
type Progress struct {
	calls       int
	done, total int64
	backwards   bool
}

// Add is the Progress callback.
func (p *Progress) Add(done, total int64) {
	p.calls++
	p.backwards = p.backwards || done < p.done
	p.done, p.total = done, total
}

// Check fails t unless the callback was told about path: in bytes of its
// size, forward only, never past the end.
func (p *Progress) Check(t testing.TB, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.calls == 0 || p.total != st.Size() || p.done <= 0 || p.done > p.total || p.backwards {
		t.Errorf("progress: %d calls, last %d of %d (file %d bytes), backwards %v", p.calls, p.done, p.total, st.Size(), p.backwards)
	}
}
