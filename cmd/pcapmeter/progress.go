package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

var (
	barMu sync.Mutex
	bar   *progressbar.ProgressBar
)

// progressBar returns a progress callback that draws a bar on stderr (bytes
// of the capture read, rate, time left) when stderr is a terminal, and nil
// otherwise: pipes and CI logs get no control characters.
func progressBar(stderr io.Writer) func(done, total int64) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(done, total int64) {
		barMu.Lock()
		defer barMu.Unlock()
		if bar == nil {
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(&delayed{w: f, after: time.Now().Add(time.Second)}),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetDescription("reading capture"),
				progressbar.OptionThrottle(100_000_000),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetPredictTime(true),
			)
		}
		bar.ChangeMax64(total)
		bar.Set64(done)
	}
}

// finishProgress removes the bar, if one was drawn, before the report.
func finishProgress(io.Writer) {
	barMu.Lock()
	defer barMu.Unlock()
	if bar != nil {
		bar.Finish()
		bar.Clear()
		bar = nil
	}
}

// delayed drops what is written before after: a run that ends within a
// second gets no bar flashing by, while the bar's clock (and so its rate
// and time left) still starts with the run.
type delayed struct {
	w     io.Writer
	after time.Time
}

func (d *delayed) Write(p []byte) (int, error) {
	if time.Now().Before(d.after) {
		return len(p), nil
	}
	return d.w.Write(p)
}
