//go:build linux

package tshark

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
)

// procState returns the state letter of pid from /proc (R, S, Z, ...), or
// 0 when there is no such process.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// running reports whether pid is a live process (a zombie has exited; only
// its parent, possibly init, has not reaped it yet).
func running(pid int) bool {
	s := procState(pid)
	return s != 0 && s != 'Z' && s != 'X'
}

// awaitPIDs polls a fake's pid file until it lists n pids.
func awaitPIDs(t *testing.T, file string, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if pids := faketshark.ReadPIDs(file); len(pids) >= n {
			t.Cleanup(func() {
				for _, p := range pids {
					if running(p) {
						syscall.Kill(p, syscall.SIGKILL)
					}
				}
			})
			return pids
		}
	}
	t.Fatalf("the fake never wrote %d pids to %s", n, file)
	return nil
}

// assertGone fails for every pid still running after a grace period for
// SIGKILL delivery, which is asynchronous.
func assertGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for _, p := range pids {
		for running(p) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if running(p) {
			t.Errorf("pid %d survived (state %c)", p, procState(p))
		}
	}
}

func pidFile(t *testing.T) string {
	f := filepath.Join(t.TempDir(), "pids")
	t.Setenv(faketshark.PIDFile, f)
	return f
}

// TestCancelKillsGroup: cancelling a tshark run by a wrapper kills the
// wrapper's child too, and Wait does not sit out WaitDelay on the pipes the
// child held (it would without the group kill: 5 s, and a survivor).
func TestCancelKillsGroup(t *testing.T) {
	for _, mode := range []string{faketshark.Spawn, faketshark.IgnoreTerm} {
		t.Run(mode, func(t *testing.T) {
			file := pidFile(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := Start(ctx, self(t, mode), []string{"-r", "x"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(p.Stdout, make([]byte, len(faketshark.Row))); err != nil {
				t.Fatal(err)
			}
			want := 1
			if mode == faketshark.Spawn {
				want = 2
			}
			pids := awaitPIDs(t, file, want)
			start := time.Now()
			cancel()
			err = p.Wait()
			// Not a speed measurement: a bound well below WaitDelay shows
			// that the pipes closed because their holders died.
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Wait took %v after cancel", d)
			}
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Signal != "killed" {
				t.Errorf("Wait = %v, want killed by SIGKILL", err)
			}
			if procState(pids[0]) != 0 {
				t.Errorf("tshark %d not reaped", pids[0])
			}
			assertGone(t, pids)
		})
	}
}

// TestLeaderExitKillsStragglers: a wrapper that exits leaving a child on
// its stdout neither keeps the caller's read from reaching EOF nor leaves
// the child running.
func TestLeaderExitKillsStragglers(t *testing.T) {
	file := pidFile(t)
	p, err := Start(context.Background(), self(t, faketshark.Orphan), []string{"-r", "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan string, 1)
	go func() { b, _ := io.ReadAll(p.Stdout); read <- string(b) }()
	select {
	case out := <-read:
		if out != faketshark.Row {
			t.Errorf("stdout %q", out)
		}
	case <-time.After(10 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("stdout never reached EOF: the straggler holds it")
	}
	if err := p.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}
	assertGone(t, awaitPIDs(t, file, 2))
}

// TestPdeathsig: when pcapmeter dies of SIGKILL (no defer runs), the
// kernel kills its tshark.
func TestPdeathsig(t *testing.T) {
	file := pidFile(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe, "-test.run=^$")
	parent.Env = append(os.Environ(), parentEnv+"="+faketshark.Hang)
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	pids := awaitPIDs(t, file, 1)
	if !running(pids[0]) {
		t.Fatalf("fake %d not running before the kill", pids[0])
	}
	parent.Process.Kill()
	parent.Wait()
	assertGone(t, pids)
}
