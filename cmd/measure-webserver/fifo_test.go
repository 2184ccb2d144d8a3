//go:build linux

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestFIFO: measure-webserver reads a capture from a FIFO once and prints
// the same three lines as for the file (it runs --jobs NumCPU, so the
// capture is split: one read of the stream, spooled); a FIFO whose writer
// never writes ends on Ctrl-C with exit 130 instead of blocking in open()
// (issue #16: only SIGKILL ended it).
func TestFIFO(t *testing.T) {
	testutil.Tshark(t)
	_, want, _ := mw(td("keepalive-v4.pcapng"), "127.0.0.1", "8080")
	fifo := filepath.Join(t.TempDir(), "cap.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	go func() {
		b, _ := os.ReadFile(td("keepalive-v4.pcapng"))
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Write(b)
			w.Close()
		}
	}()
	if code, out, errs := mw(fifo, "127.0.0.1", "8080"); code != 0 || out != want {
		t.Errorf("FIFO: exit %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}

	// A writer that holds the FIFO open and never writes.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	done := make(chan int, 1)
	var errs string
	go func() {
		code, _, e := mw(fifo, "127.0.0.1", "8080")
		errs = e
		done <- code
	}()
	time.Sleep(300 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("idle FIFO, SIGINT: exit %d, stderr %q", code, errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle FIFO: no exit 10 s after SIGINT")
	}
}
