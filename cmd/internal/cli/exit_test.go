package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
)

// TestExit: each way a run ends gives its exit code and exactly one line.
func TestExit(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	explain := func(err error) string { return "explained: " + err.Error() }
	cases := []struct {
		name string
		end  func(Exit) int
		code int
		line string
	}{
		{"usage", func(x Exit) int { return x.Usage("give exactly one capture file") }, ExitUsage,
			"p: give exactly one capture file; see `p --help`\n"},
		{"error", func(x Exit) int {
			return x.Failed(live, &os.PathError{Op: "open", Path: "x.pcap", Err: os.ErrNotExist})
		}, ExitError,
			"p: x.pcap: no such file; check the path\n"},
		{"explained", func(x Exit) int { x.Explain = explain; return x.Failed(live, errors.New("no echo")) }, ExitError,
			"p: explained: no echo\n"},
		{"interrupted", func(x Exit) int { x.Explain = explain; return x.Failed(cancelled, context.Canceled) }, ExitInterrupted,
			"p: interrupted; tshark stopped, no report\n"},
		{"interrupted export", func(x Exit) int { x.Stopped = "the CSV is incomplete"; return x.Failed(cancelled, errors.New("x")) }, ExitInterrupted,
			"p: interrupted; tshark stopped, the CSV is incomplete\n"},
		{"rejected", func(x Exit) int {
			return x.Failed(live, fmt.Errorf("run: %w", &UsageError{"tshark rejected --filter"}))
		}, ExitUsage,
			"p: tshark rejected --filter\n"},
		{"plain failure", func(x Exit) int { return x.Fail("drawing a.svg: disk full") }, ExitError, "p: drawing a.svg: disk full\n"},
		{"ok", func(x Exit) int { return x.Finished(false, "ignored") }, ExitOK, ""},
		{"partial", func(x Exit) int { return x.Finished(true, CutShort("figures cover")) }, ExitPartial,
			"p: partial result: the capture is cut short in the middle of a packet; figures cover the packets before the cut\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if code := c.end(Exit{Prog: "p", Stderr: &b}); code != c.code || b.String() != c.line {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.name, code, b.String(), c.code, c.line)
		}
	}
}

func TestOneOf(t *testing.T) {
	if err := OneOf("format", "json", "text", "json"); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		accepted []string
		msg      string
	}{
		{[]string{"text"}, `invalid --format "xml": give text`},
		{[]string{"text", "json"}, `invalid --format "xml": give text or json`},
		{[]string{"text", "json", "csv", "nssa"}, `invalid --format "xml": give text, json, csv or nssa`},
	} {
		if err := OneOf("format", "xml", c.accepted...); err == nil || err.Error() != c.msg {
			t.Errorf("%v, want %q", err, c.msg)
		}
	}
}
