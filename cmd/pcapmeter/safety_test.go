package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// copyCapture copies testdata/http/name into dir as as.
func copyCapture(t *testing.T, dir, name, as string) string {
	t.Helper()
	b, err := os.ReadFile(td(name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, as)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOutputIsInputRefused: no subcommand and no path-taking flag may write
// over the capture it reads, whether the output is spelled the same, through
// a symlink or by a relative path; the refusal comes before anything is
// opened for writing, so the capture is intact.
func TestOutputIsInputRefused(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	// A plot must end in .svg or .png; a capture can be called anything.
	capture := copyCapture(t, dir, "keepalive-v4.pcapng", "cap.svg")
	want, _ := os.ReadFile(capture)
	link := filepath.Join(dir, "link.svg")
	if err := os.Symlink("cap.svg", link); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, filepath.Join(dir, "sub", "..", "cap.svg"))
	if err != nil {
		t.Fatal(err)
	}
	rel = "./" + filepath.Join(filepath.Dir(rel), "sub", "..", filepath.Base(rel))
	flags := map[string][]string{
		"http":    {"-o", "--plot", "--cpuprofile", "--memprofile"},
		"tcp":     {"-o"},
		"summary": {"-o", "--plot"},
		"icmp":    {"-o"},
		"export":  {"-o"},
	}
	for cmd, fs := range flags {
		for _, flag := range fs {
			for _, out := range []string{capture, link, rel} {
				code, _, errs := pcapmeter(t, cmd, capture, flag, out, "--tshark", "/no/such/tshark")
				if code == 0 || !strings.Contains(errs, "it is the input") {
					t.Errorf("%s %s %s: exit %d, stderr %q", cmd, flag, out, code, errs)
				}
				if got, _ := os.ReadFile(capture); !bytes.Equal(got, want) {
					t.Fatalf("%s %s %s changed the capture", cmd, flag, out)
				}
			}
		}
	}
}

// TestFailedRunKeepsOutput: a run that fails (no HTTP, a filter tshark
// rejects) leaves an existing -o file as it was; a run with a report
// replaces it.
func TestFailedRunKeepsOutput(t *testing.T) {
	testutil.Tshark(t)
	dir := t.TempDir()
	out, plot := filepath.Join(dir, "r.txt"), filepath.Join(dir, "p.png")
	ping := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	for _, args := range [][]string{
		{"http", ping, "-o", out},
		{"export", td("keepalive-v4.pcapng"), "--filter", "tcp.port ==", "-o", out},
		{"tcp", ping, "-o", out},
		{"http", ping, "--plot", plot},
		{"summary", filepath.Join(t.TempDir(), "missing.pcap"), "-o", out, "--plot", plot},
	} {
		os.WriteFile(plot, []byte("old plot\n"), 0o644)
		os.WriteFile(out, []byte("old report\n"), 0o644)
		if code, _, errs := pcapmeter(t, args...); code == 0 || code == 3 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
		if b, _ := os.ReadFile(out); string(b) != "old report\n" {
			t.Errorf("%q: the old output became %q", args, b)
		}
		if b, _ := os.ReadFile(plot); string(b) != "old plot\n" {
			t.Errorf("%q: the old plot became %q", args, b)
		}
	}
	if code, _, errs := pcapmeter(t, "tcp", td("keepalive-v4.pcapng"), "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "TCP") && len(b) < 100 {
		t.Errorf("the report did not replace the old output: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left in the output's directory: %v", entries)
	}
}

// TestUserValueChecks: control characters in any value and a percentile
// list with an empty or repeated entry are refused with one line, exit 2.
func TestUserValueChecks(t *testing.T) {
	ok := td("keepalive-v4.pcapng")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"http", ok, "--http-port", "8080\n8081"}, "control character"},
		{[]string{"http", ok, "--server", "10.0.0.1\x7f"}, "control character"},
		{[]string{"export", ok, "--fields", "frame.number\nip.src"}, "control character"},
		{[]string{"export", ok, "--filter", "tcp\r"}, "control character"},
		{[]string{"icmp", ok, "--name", "a\tb"}, "control character"},
		{[]string{"tcp", ok, "--percentiles", "50,,99"}, "an entry is empty"},
		{[]string{"http", ok, "--percentiles", "50,99,50"}, "50 is given twice"},
		{[]string{"icmp", ok, "--percentiles", "50,"}, "an entry is empty"},
	} {
		code, _, errs := pcapmeter(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q (want %q)", c.args, code, errs, c.msg)
		}
	}
}

// TestDuplicateByInode: the same capture by another spelling or a link is
// refused instead of counted twice.
func TestDuplicateByInode(t *testing.T) {
	dir := t.TempDir()
	capture := copyCapture(t, dir, "keepalive-v4.pcapng", "a.pcapng")
	hard := filepath.Join(dir, "b.pcapng")
	if err := os.Link(capture, hard); err != nil {
		t.Skip(err)
	}
	for _, second := range []string{hard, filepath.Join(dir, "sub", "..", "a.pcapng")} {
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		code, _, errs := pcapmeter(t, "http", capture, second)
		if code != 2 || !strings.Contains(errs, "same capture") && !strings.Contains(errs, "given twice") {
			t.Errorf("%s: exit %d, stderr %q", second, code, errs)
		}
	}
}

// built is the binary buildPcapmeter makes once for the package's tests.
var built struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// buildPcapmeter builds the binary (once per test run), for tests that
// signal a process.
func buildPcapmeter(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "pcapmeter-bin-"); built.err != nil {
			return
		}
		built.out, built.err = exec.Command("go", "build", "-o", filepath.Join(built.dir, "pcapmeter"), ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return filepath.Join(built.dir, "pcapmeter")
}

// TestSignalsLeaveNothing: a FIFO whose writer never writes ends promptly
// on SIGINT and SIGTERM, and $TMPDIR is empty after a run whose capture
// came on standard input (spooled) and after each signal.
func TestSignalsLeaveNothing(t *testing.T) {
	testutil.Tshark(t)
	bin := buildPcapmeter(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		tmp := t.TempDir()
		fifo := filepath.Join(t.TempDir(), "cap.fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip(err)
		}
		// A writer that never writes: open for writing and hold it.
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "http", fifo, "-j", "2")
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: still running 10 s after the signal", sig)
		}
		w.Close()
		if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("%v: exit %d, stderr %q", sig, code, errb.String())
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
			t.Errorf("%v: left in $TMPDIR: %v", sig, entries)
		}
	}
	tmp := t.TempDir()
	in, err := os.Open(td("synth-gaps-v6.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(bin, "http", "-", "-j", "2", "-f", "csv")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	// A pipe, not the file: standard input is then spooled.
	cmd.Stdin = struct{ *os.File }{in}
	if out, err := cmd.Output(); err != nil || strings.Count(string(out), "\n") != 46 {
		t.Errorf("stdin run: %v, %d lines", err, strings.Count(string(out), "\n"))
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("after a run: left in $TMPDIR: %v", entries)
	}
}
