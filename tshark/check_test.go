//go:build linux

package tshark

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
)

// script writes an executable file with body into a temporary directory.
func script(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tshark")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckErrors: each way `tshark --version` can go wrong has its own
// type and a message that says what happened; only a program that cannot
// be started is "not found".
func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	broken := script(t, "#!/bin/sh\necho 'tshark: error while loading shared libraries: libwireshark.so.16: cannot open shared object file' >&2\nexit 127\n", 0o755)
	cases := []struct {
		name, path string
		ok         func(error) bool
		says, not  string
	}{
		{"missing", "/no/such/tshark", is[*NotFoundError], "tshark not found", ""},
		{"not executable", script(t, "#!/bin/sh\n", 0o644), is[*NotFoundError], "cannot run tshark", "not found"},
		{"not a program", script(t, "\x00\x01garbage", 0o755), is[*NotFoundError], "exec format error", "not found"},
		{"/bin/false", "/bin/false", is[*VersionFailedError], "exit status 1: no message", "not found"},
		{"broken", broken, is[*VersionFailedError], "exit status 127: error while loading shared libraries", "not found"},
		{"not tshark", self(t, faketshark.NotTshark), is[*NotTsharkError], `does not look like tshark: ` + "`--version`" + ` printed "this is not`, ""},
	}
	for _, c := range cases {
		_, err := Check(ctx, c.path)
		if err == nil || !c.ok(err) || !strings.Contains(err.Error(), c.says) || (c.not != "" && strings.Contains(err.Error(), c.not)) {
			t.Errorf("%s: %T %v; want it to say %q and not %q", c.name, err, err, c.says, c.not)
		}
		if Inconclusive(err) {
			t.Errorf("%s: %v counted inconclusive", c.name, err)
		}
	}
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestCheckTimeout: a --version that never answers is a timeout, not a
// missing tshark, and neither it nor its child outlives the check.
func TestCheckTimeout(t *testing.T) {
	file := pidFile(t)
	_, err := CheckWithin(context.Background(), self(t, faketshark.HangVersion), 300*time.Millisecond)
	var te *CheckTimeoutError
	if !errors.As(err, &te) || !Inconclusive(err) || strings.Contains(err.Error(), "not found") {
		t.Fatalf("hang: %T %v", err, err)
	}
	assertGone(t, awaitPIDs(t, file, 2))
}

// TestCheckCancel: Ctrl-C during the version check returns at once with
// the cancellation, after killing and reaping `tshark --version` and its
// children.
func TestCheckCancel(t *testing.T) {
	file := pidFile(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := Check(ctx, self(t, faketshark.HangVersion)); done <- err }()
	pids := awaitPIDs(t, file, 2)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !Inconclusive(err) {
			t.Errorf("cancel: %T %v", err, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Check did not return after cancel")
	}
	if procState(pids[0]) != 0 {
		t.Errorf("`tshark --version` %d not reaped", pids[0])
	}
	assertGone(t, pids)
}

// TestVerdict: a conclusive check failure explains a run; an inconclusive
// one never replaces the run's own error.
func TestVerdict(t *testing.T) {
	runErr := &ExitError{Code: -1, Signal: "killed"}
	timeout := &CheckTimeoutError{Path: "tshark", After: time.Second}
	old := &TooOldError{Path: "tshark", Have: Version{2, 6, 0}}
	canceled := fmt.Errorf("check: %w", context.Canceled)
	cases := []struct {
		check, run, want error
	}{
		{nil, nil, nil},
		{nil, runErr, runErr},
		{old, runErr, old},
		{old, nil, old},
		{timeout, runErr, runErr},
		{timeout, nil, timeout},
		{canceled, context.Canceled, context.Canceled},
	}
	for _, c := range cases {
		if got := Verdict(c.check, c.run); got != c.want {
			t.Errorf("Verdict(%v, %v) = %v, want %v", c.check, c.run, got, c.want)
		}
	}
}

// TestCheckRealTshark: the installed tshark passes the check (the fake
// proves the failures; this proves the success path on the real thing).
func TestCheckRealTshark(t *testing.T) {
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("no tshark installed")
	}
	v, err := Check(context.Background(), path)
	if err != nil || v.Less(MinVersion) {
		t.Fatalf("Check(%s) = %v, %v", path, v, err)
	}
}
