package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/pcapmeter/pcapmeter/cmd/internal/progress"
)

// The bar of the running subcommand, so that finishProgress can find it.
// This adapter keeps http.go's calls (progressBar, finishProgress) as they
// are until the subcommands hold a *progress.Bar themselves.
var (
	barMu sync.Mutex
	bar   *progress.Bar
	// barStop ends the interrupt watch of the bar.
	barStop context.CancelFunc = func() {}
)

// progressBar returns a progress callback that draws a bar on stderr
// (bytes of the capture read, how fast, elapsed and left) when stderr is
// a terminal, and nil otherwise: pipes and CI logs get no control
// characters. The bar erases itself on Ctrl-C, as soon as it is pressed.
func progressBar(stderr io.Writer) func(done, total int64) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	b := progress.ForTerminal(ctx, stderr, "reading capture")
	if b == nil {
		stop()
		return nil
	}
	barMu.Lock()
	defer barMu.Unlock()
	bar, barStop = b, stop
	return b.BytesFunc()
}

// finishProgress removes the bar, if one was drawn, before the report.
func finishProgress(io.Writer) {
	barMu.Lock()
	defer barMu.Unlock()
	bar.Stop()
	barStop()
	bar, barStop = nil, func() {}
}
