package progress

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer is a bytes.Buffer safe for the cancellation goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newBar(width int, label string) (*Bar, *syncBuffer, *fakeClock) {
	clk := &fakeClock{t: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	out := &syncBuffer{}
	return New(out, Options{Label: label, Width: func() int { return width }, Now: clk.now}), out, clk
}

// drawnLines splits what a bar wrote into the lines it drew, without
// the control sequences.
func drawnLines(out string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\r") {
		if l = strings.TrimSuffix(l, "\x1b[K"); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestLineFitsWidth: the old bar was ~84 columns and wrapped on an 80-column
// terminal, a new line of scrollback at every redraw. Every line drawn, at
// any width and any figures, must leave the last column free.
func TestLineFitsWidth(t *testing.T) {
	t.Parallel()
	states := []struct {
		name               string
		done, total, count int64
		unit               string
		elapsed            time.Duration
	}{
		{"start", 0, 2_900_000_000, 0, "packets", 1100 * time.Millisecond},
		{"middle", 1_200_000_000, 2_900_000_000, 345_678, "packets", 65 * time.Second},
		{"huge", 9_000_000_000_000_000, 9_100_000_000_000_000, 123_456_789_012, "exchanges", 30 * time.Hour},
		{"unknown total", 1_200_000_000, 0, 12, "exchanges", 3 * time.Second},
		{"past the total", 3e9, 2e9, 1, "packets", 5 * time.Second},
		{"no count", 5e8, 1e9, 0, "", 2 * time.Second},
	}
	for _, st := range states {
		for _, width := range []int{1, 5, 20, 40, 60, 80, 100, 200} {
			b, out, clk := newBar(width, "reading capture")
			b.Count(st.count, st.unit)
			clk.advance(st.elapsed)
			b.Bytes(st.done, st.total)
			ls := drawnLines(out.String())
			if len(ls) != 1 {
				t.Fatalf("%s at %d columns: drew %q", st.name, width, out.String())
			}
			if n := utf8.RuneCountInString(ls[0]); n > max(1, width-1) {
				t.Errorf("%s at %d columns: %d columns drawn: %q", st.name, width, n, ls[0])
			}
			if width < 80 {
				continue
			}
			// An 80-column terminal still gets the essentials, labelled.
			want := []string{"elapsed "}
			if st.total > 0 {
				want = append(want, "%", "[")
				if st.done > 0 && st.done < st.total {
					want = append(want, "left ")
				}
			}
			if st.unit != "" && width >= 100 {
				want = append(want, st.unit[:len(st.unit)-1])
			}
			for _, w := range want {
				if !strings.Contains(ls[0], w) {
					t.Errorf("%s at %d columns: %q lacks %q", st.name, width, ls[0], w)
				}
			}
		}
	}
}

func TestLayout(t *testing.T) {
	t.Parallel()
	s := state{label: "reading capture", done: 1_200_000_000, total: 2_900_000_000, count: 345_678, unit: "packets", elapsed: 65 * time.Second}
	for width, want := range map[int]string{
		120: "reading capture   41%  [========>              ]  1.20/2.90 GB  345,678 packets   18.46 MB/s  elapsed 1m05s  left 1m32s",
		80:  " 41%  [====>        ]  1.20/2.90 GB  345,678 packets  elapsed 1m05s  left 1m32s",
		40:  " 41%  [======>            ]  left 1m32s",
	} {
		if got := layout(s, width); got != want {
			t.Errorf("at %d columns:\n got %q\nwant %q", width, got, want)
		}
	}
	if got, want := layout(state{done: 5e6, count: 1, unit: "exchanges", elapsed: 2 * time.Second}, 80), "5.00 MB  1 exchange    2.50 MB/s  elapsed    2s"; got != want {
		t.Errorf("unknown total:\n got %q\nwant %q", got, want)
	}
}

// TestFirstSecondAndThrottle: a run shorter than a second shows nothing;
// after that, at most one redraw per 100 ms.
func TestFirstSecondAndThrottle(t *testing.T) {
	t.Parallel()
	b, out, clk := newBar(80, "x")
	clk.advance(900 * time.Millisecond)
	b.Bytes(10, 100)
	if out.String() != "" {
		t.Fatalf("drew within the first second: %q", out.String())
	}
	clk.advance(200 * time.Millisecond)
	b.Bytes(20, 100)
	clk.advance(50 * time.Millisecond)
	b.Bytes(30, 100)
	if n := len(drawnLines(out.String())); n != 1 {
		t.Errorf("%d redraws within 100 ms", n)
	}
	clk.advance(60 * time.Millisecond)
	b.Bytes(40, 100)
	if ls := drawnLines(out.String()); len(ls) != 2 || !strings.Contains(ls[1], " 40%") {
		t.Errorf("lines %q", ls)
	}
}

// TestStopClears: the report must start on a clean line, so Stop erases
// a drawn bar, once; an undrawn one leaves no trace; nothing after Stop.
func TestStopClears(t *testing.T) {
	t.Parallel()
	b, out, clk := newBar(80, "x")
	clk.advance(2 * time.Second)
	b.Bytes(1, 2)
	b.Stop()
	b.Stop()
	b.Bytes(2, 2)
	if s := out.String(); !strings.HasSuffix(s, clearLine) || strings.Count(s, clearLine) != 1 {
		t.Errorf("output %q does not end with one clear", s)
	}
	quiet, qout, _ := newBar(80, "x")
	quiet.Bytes(1, 2)
	quiet.Stop()
	if qout.String() != "" {
		t.Errorf("an undrawn bar wrote %q", qout.String())
	}
}

// TestCancelClears: Ctrl-C (the signal context done) erases the bar at
// once, before the caller has stopped tshark.
func TestCancelClears(t *testing.T) {
	t.Parallel()
	b, out, clk := newBar(80, "x")
	ctx, cancel := context.WithCancel(context.Background())
	b.stopOn(ctx)
	clk.advance(2 * time.Second)
	b.Bytes(1, 2)
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasSuffix(out.String(), clearLine) {
		if time.Now().After(deadline) {
			t.Fatalf("not cleared on cancel: %q", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	b.Bytes(2, 2)
	if strings.Count(out.String(), "\r") != 2 {
		t.Errorf("drew after cancel: %q", out.String())
	}
}

// TestNotATerminal: a pipe gets no bar, and a nil bar is a no-op.
func TestNotATerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	b := ForTerminal(context.Background(), &buf, "x")
	if b != nil {
		t.Fatal("a bar on a buffer")
	}
	b.Bytes(1, 2)
	b.Count(3, "packets")
	b.Stop()
	var f func(done, total int64) = b.Bytes // usable as an analysis' Progress callback
	f(1, 2)
	if b.BytesFunc() != nil || b.CountFunc("packets") != nil {
		t.Error("a nil bar hands out a callback, so the analysis estimates its progress for nothing")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

func TestResizeFollowed(t *testing.T) {
	t.Parallel()
	width := 120
	clk := &fakeClock{t: time.Unix(0, 0)}
	out := &syncBuffer{}
	b := New(out, Options{Label: "reading capture", Width: func() int { return width }, Now: clk.now})
	clk.advance(2 * time.Second)
	b.Bytes(1, 3)
	width = 30
	clk.advance(time.Second)
	b.Bytes(2, 3)
	ls := drawnLines(out.String())
	if len(ls) != 2 || utf8.RuneCountInString(ls[0]) < 60 || utf8.RuneCountInString(ls[1]) > 29 {
		t.Errorf("lines %q", ls)
	}
}

// TestSteadyBar: the bar keeps its width as the numbers beside it grow
// (98 MB to 106 MB, 9s to 10s); a bar that twitches by a column at every
// such step is hard to read.
func TestSteadyBar(t *testing.T) {
	t.Parallel()
	barWidth := func(done int64, elapsed time.Duration) int {
		l := layout(state{label: "reading capture", done: done, total: 472_190_748, elapsed: elapsed}, 80)
		return strings.Index(l, "]") - strings.Index(l, "[")
	}
	w := barWidth(98_570_000, 9*time.Second)
	for _, c := range []struct {
		done    int64
		elapsed time.Duration
	}{{106_950_000, 10 * time.Second}, {5_000_000, 900 * time.Millisecond}, {471_000_000, 75 * time.Second}, {472_190_748, 13 * time.Second}} {
		if got := barWidth(c.done, c.elapsed); got != w {
			t.Errorf("bar %d columns at %d bytes, %v; %d before", got, c.done, c.elapsed, w)
		}
	}
}

func TestCallbacks(t *testing.T) {
	t.Parallel()
	b, out, clk := newBar(100, "x")
	clk.advance(2 * time.Second)
	b.CountFunc("packets")(12_345)
	b.BytesFunc()(5, 10)
	if ls := drawnLines(out.String()); len(ls) == 0 || !strings.Contains(ls[len(ls)-1], "12,345 packets") {
		t.Errorf("lines %q", ls)
	}
}
