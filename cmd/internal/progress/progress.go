// Package progress draws the one-line progress bar every pcapmeter
// subcommand shows on a terminal while tshark works through a big
// capture: how far (percent, bar, bytes), how much (packets or exchanges
// so far), how fast, how long it has run and how long it has left.
//
// The line always fits the terminal (a line one column too wide wraps and
// leaves a new line of scrollback at every redraw), is drawn only after
// the first second (a quick run shows nothing), and is erased on Stop and
// on cancellation (Ctrl-C), so the report or the error starts on a clean
// line. A nil *Bar is valid and draws nothing: callers hold one without
// checking whether stderr is a terminal.
package progress

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Options configure a Bar. The zero value is usable.
type Options struct {
	// Label names the work, e.g. "reading capture"; the first thing
	// dropped when the terminal is narrow.
	Label string
	// Width returns the terminal's width in columns, asked at every
	// redraw so that a resized window is followed; nil or a result below
	// 1 means DefaultWidth.
	Width func() int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultWidth is the width assumed when the terminal does not say.
const DefaultWidth = 80

const (
	// delay is how long a run goes unshown: most captures are done
	// within it, and a bar flashing by is noise.
	delay = time.Second
	// every is the shortest time between redraws.
	every = 100 * time.Millisecond
)

// clearLine returns the cursor to column 0 and erases the line.
const clearLine = "\r\x1b[K"

// Bar is a progress bar on one terminal line. Its methods are safe for
// concurrent use (files read side by side report from several
// goroutines) and do nothing on a nil *Bar.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	opt     Options
	start   time.Time
	last    time.Time // of the last redraw
	drawn   bool      // something is on the line
	stopped bool
	done    int64 // bytes
	total   int64 // bytes; ≤ 0 if unknown
	count   int64
	unit    string
	quit    chan struct{}
}

// New returns a Bar drawing on w whatever w is; its clock starts now.
func New(w io.Writer, opt Options) *Bar {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Bar{w: w, opt: opt, start: opt.Now(), quit: make(chan struct{})}
}

// ForTerminal returns a Bar on w when w is a terminal, sized by it, and
// nil otherwise: pipes, files and CI logs get no control characters. The
// bar erases itself as soon as ctx is done (Ctrl-C under
// cli.SignalContext), before the caller has wound tshark down.
func ForTerminal(ctx context.Context, w io.Writer, label string) *Bar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	b := New(f, Options{Label: label, Width: func() int {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
		return DefaultWidth
	}})
	b.stopOn(ctx)
	return b
}

// stopOn stops b as soon as ctx is done; the goroutine ends with Stop.
func (b *Bar) stopOn(ctx context.Context) {
	go func() {
		select {
		case <-ctx.Done():
			b.Stop()
		case <-b.quit:
		}
	}()
}

// Bytes reports how many bytes of how many are done; total ≤ 0 means
// unknown (no percentage, no time left). Its signature is that of the
// analyses' Progress callbacks, so b.Bytes can be passed as one.
func (b *Bar) Bytes(done, total int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.total = done, total
	b.redraw()
}

// Count reports how many units (plural: "packets", "exchanges") are done
// so far, shown beside the bytes.
func (b *Bar) Count(n int64, unit string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count, b.unit = n, unit
	b.redraw()
}

// BytesFunc returns b.Bytes, or nil when b is nil: analyses check their
// Progress callback for nil to skip the work of estimating how far they
// are, and a method value of a nil *Bar is not nil.
func (b *Bar) BytesFunc() func(done, total int64) {
	if b == nil {
		return nil
	}
	return b.Bytes
}

// CountFunc returns a callback reporting a count of unit (plural), or nil
// when b is nil, for an analysis that reports how many packets or
// exchanges it has seen.
func (b *Bar) CountFunc(unit string) func(n int64) {
	if b == nil {
		return nil
	}
	return func(n int64) { b.Count(n, unit) }
}

// Stop erases the bar, if it was drawn, and draws no more. It may be
// called more than once.
func (b *Bar) Stop() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.stopped = true
	close(b.quit)
	if b.drawn {
		io.WriteString(b.w, clearLine)
		b.drawn = false
	}
}

// redraw draws the line if the run has gone on past delay and the last
// redraw is at least every ago; the caller holds mu.
func (b *Bar) redraw() {
	if b.stopped {
		return
	}
	now := b.opt.Now()
	if now.Sub(b.start) < delay || (b.drawn && now.Sub(b.last) < every) {
		return
	}
	width := DefaultWidth
	if b.opt.Width != nil {
		if w := b.opt.Width(); w > 0 {
			width = w
		}
	}
	line := layout(b.state(now), width)
	io.WriteString(b.w, "\r"+line+"\x1b[K")
	b.drawn, b.last = true, now
}

func (b *Bar) state(now time.Time) state {
	return state{label: b.opt.Label, done: b.done, total: b.total, count: b.count, unit: b.unit, elapsed: now.Sub(b.start)}
}
