package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/cmd/internal/progress"
)

// TestExchangeCounter: the http bar counts exchanges from several
// goroutines without ever counting backwards, and there is no counter
// without a bar.
func TestExchangeCounter(t *testing.T) {
	if exchangeCounter(nil) != nil {
		t.Error("a counter without a bar")
	}
	var out strings.Builder
	var mu sync.Mutex
	now := time.Unix(0, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(200 * time.Millisecond); return now }
	bar := progress.New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }),
		progress.Options{Label: "x", Width: func() int { return 120 }, Now: clock})
	count := exchangeCounter(bar)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				count()
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	text := out.String()
	mu.Unlock()
	if !strings.Contains(text, "1,024 exchanges") {
		t.Errorf("last count not drawn: %q", text[max(0, len(text)-200):])
	}
	last := 0
	for _, l := range strings.Split(text, "\r") {
		var n int
		if i := strings.Index(l, " exchanges"); i > 0 {
			f := strings.Fields(l[:i])
			n = atoiCommas(f[len(f)-1])
			if n < last {
				t.Errorf("counted backwards: %d after %d", n, last)
			}
			last = n
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func atoiCommas(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
		}
	}
	return n
}
