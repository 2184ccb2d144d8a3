//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// running reports whether pid is a live process (a zombie has exited; a
// reparented one waits for init to reap it).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// signalRun starts bin with args, waits for the fake tshark (a wrapper
// with a child: faketshark.Spawn) to be running, sends sig and returns the
// exit code, stderr and the fake's pids. TMPDIR is tmp.
func signalRun(t *testing.T, bin, tmp string, sig syscall.Signal, args ...string) (int, string, []int) {
	t.Helper()
	exe, _ := os.Executable()
	pidfile := filepath.Join(t.TempDir(), "pids")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "TSHARK="+exe, faketshark.Env+"="+faketshark.SpawnQuiet, faketshark.PIDFile+"="+pidfile)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); len(pids) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		pids = faketshark.ReadPIDs(pidfile)
	}
	t.Cleanup(func() {
		for _, p := range pids {
			if running(p) {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	if len(pids) < 2 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%v: the fake tshark never started: %s", args, errb.String())
	}
	cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v %v: still running 10 s after the signal", args, sig)
	}
	return cmd.ProcessState.ExitCode(), errb.String(), pids
}

// TestEverySignalEveryCommand: SIGINT, SIGTERM, SIGHUP and SIGQUIT end
// every subcommand the same clean way while tshark runs: exit 130 with
// "interrupted", tshark and its wrapper's child gone (the process group
// is killed), $TMPDIR empty, and an existing -o file as it was. SIGQUIT
// would otherwise dump goroutines and exit 2, leaving the tsharks to
// Pdeathsig alone.
func TestEverySignalEveryCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildPcapmeter(t)
	icmp := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	cmds := map[string][]string{
		"http":    {"http", td("synth-gaps-v6.pcap"), "-j", "2", "-f", "csv"},
		"tcp":     {"tcp", td("synth-gaps-v6.pcap")},
		"summary": {"summary", td("synth-gaps-v6.pcap")},
		"icmp":    {"icmp", icmp},
		"export":  {"export", td("synth-gaps-v6.pcap")},
	}
	for name, args := range cmds {
		t.Run(name, func(t *testing.T) {
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
				tmp, out := t.TempDir(), filepath.Join(t.TempDir(), "r.txt")
				os.WriteFile(out, []byte("old\n"), 0o644)
				code, errs, pids := signalRun(t, bin, tmp, sig, append(args, "-q", "-o", out)...)
				if code != 130 || !strings.Contains(errs, "interrupted") || strings.Count(errs, "\n") != 1 {
					t.Errorf("%v: exit %d, stderr %q", sig, code, errs)
				}
				// An export to a file writes it only when done.
				if name == "export" && !strings.Contains(errs, "no CSV written, "+out+" left as it was") {
					t.Errorf("%v: stderr %q does not say the -o file is as it was", sig, errs)
				}
				deadline := time.Now().Add(2 * time.Second)
				for _, p := range pids {
					for running(p) && time.Now().Before(deadline) {
						time.Sleep(10 * time.Millisecond)
					}
					if running(p) {
						t.Errorf("%v: process %d of tshark's group survived", sig, p)
					}
				}
				if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
					t.Errorf("%v: left in $TMPDIR: %v", sig, entries)
				}
				if b, _ := os.ReadFile(out); string(b) != "old\n" {
					t.Errorf("%v: -o became %q", sig, b)
				}
			}
		})
	}
}

// TestStdinTerminal: `-` with a terminal on standard input (a pty, made by
// script(1)) is one line saying what to do, exit 1, instead of a wait for
// bytes that a terminal will not send as a capture.
func TestStdinTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to make a pty")
	}
	bin := buildPcapmeter(t)
	for _, sub := range []string{"http", "tcp", "summary", "icmp", "export"} {
		// The exit status is the last line: script(1) -e passes it on,
		// but not on every version; echo it instead.
		shell := fmt.Sprintf("%q %s - -q; echo \"exit=$?\"", bin, sub)
		cmd := exec.Command(script, "-qc", shell, "/dev/null")
		cmd.Stdin = strings.NewReader("")
		done := make(chan struct{})
		var out []byte
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%s -: hung with a terminal on stdin", sub)
		}
		text := strings.ReplaceAll(string(out), "\r", "")
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "standard input is a terminal") || lines[1] != "exit=1" {
			t.Errorf("%s -: %q", sub, text)
		}
	}
}

// TestFIFOCapture: a FIFO with a capture in it is read once and measured
// like the file (http --jobs 2 too), and one whose writer never writes
// ends on Ctrl-C (TestSignalsLeaveNothing).
func TestFIFOCapture(t *testing.T) {
	testutil.Tshark(t)
	t.Parallel()
	_, want, _ := pcapmeter(t, "http", td("synth-gaps-v6.pcap"), "-q", "-f", "csv")
	for _, jobs := range []string{"1", "2"} {
		fifo := filepath.Join(t.TempDir(), "cap.fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip(err)
		}
		go func() {
			b, _ := os.ReadFile(td("synth-gaps-v6.pcap"))
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Write(b)
				w.Close()
			}
		}()
		code, out, errs := pcapmeter(t, "http", fifo, "-q", "-f", "csv", "-j", jobs)
		got, exp := strings.ReplaceAll(out, fifo, "X"), strings.ReplaceAll(want, td("synth-gaps-v6.pcap"), "X")
		if code != 0 || got != exp {
			t.Errorf("-j %s: exit %d, stderr %q\n%s", jobs, code, errs, testutil.Diff(exp, got))
		}
	}
}
