// Package tshark finds, checks and runs Wireshark's tshark. It is the only
// place pcapmeter starts a process: arguments are built by pure functions
// and passed as an argv (never through a shell), stdout is streamed to the
// caller while tshark runs, stderr is kept in a bounded summary for error
// messages, and every started process is waited for, also when the caller
// cancels or fails half way.
package tshark

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MinVersion is the oldest tshark pcapmeter accepts. 3.6 is the oldest
// release still shipped by a supported mainstream distribution (Ubuntu
// 22.04 LTS) and it has everything pcapmeter relies on: custom columns with
// "-T tabs", http.request_in, tcp.segment on reassembled PDUs and "-d"
// decode-as. The suite runs on 4.0 (Debian 12), whose HTTP behaviour is
// documented in README.md; older versions are refused rather than trusted
// with subtly different dissection.
var MinVersion = Version{3, 6, 0}

// InstallHint tells a user how to get tshark; it ends every "not found" and
// "too old" error.
const InstallHint = "install it with `sudo apt-get install tshark` (Debian/Ubuntu; or scripts/install-deps.sh), `dnf install wireshark-cli`, or `brew install wireshark`, or point --tshark / $TSHARK at the binary"

// NotFoundError says that no tshark binary could be found or run.
type NotFoundError struct {
	Path string // what was looked for
	Err  error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("tshark not found (%s: %v); %s", e.Path, e.Err, InstallHint)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// Locate returns the tshark to run: explicit (a --tshark flag) if set,
// else $TSHARK, else "tshark" on PATH.
func Locate(explicit string) (string, error) {
	name := explicit
	if name == "" {
		name = os.Getenv("TSHARK")
	}
	if name == "" {
		name = "tshark"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &NotFoundError{Path: name, Err: err}
	}
	return path, nil
}

// Version is a tshark release number.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is an older release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

var versionRE = regexp.MustCompile(`(?m)^T[Ss]hark[^0-9\n]*?(\d+)\.(\d+)(?:\.(\d+))?`)

// ParseVersion extracts the version from the output of `tshark --version`,
// whose first line reads like "TShark (Wireshark) 4.0.17 (Git v4.0.17 ...)".
func ParseVersion(out string) (Version, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
		return Version{}, fmt.Errorf("cannot read a tshark version from %q", first)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, nil
}

// TooOldError says that the tshark found is older than MinVersion.
type TooOldError struct {
	Path string
	Have Version
}

func (e *TooOldError) Error() string {
	return fmt.Sprintf("%s is tshark %s but pcapmeter needs %s or newer; %s", e.Path, e.Have, MinVersion, InstallHint)
}

// Check runs `tshark --version` and verifies the version. Old releases exit
// 1 on --version, so the exit status is ignored when the output parses.
func Check(ctx context.Context, path string) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = Env()
	out, err := cmd.Output()
	v, perr := ParseVersion(string(out))
	if perr != nil {
		if err != nil {
			return Version{}, &NotFoundError{Path: path, Err: err}
		}
		return Version{}, fmt.Errorf("%s does not look like tshark: %w", path, perr)
	}
	if v.Less(MinVersion) {
		return v, &TooOldError{Path: path, Have: v}
	}
	return v, nil
}

// Find locates tshark (explicit, else $TSHARK, else PATH) and checks its
// version: what every analysis does before its first run.
func Find(ctx context.Context, explicit string) (string, Version, error) {
	path, err := Locate(explicit)
	if err != nil {
		return "", Version{}, err
	}
	v, err := Check(ctx, path)
	return path, v, err
}

// Env is the environment tshark runs in: the caller's, with a fixed C
// locale so that numbers never use a decimal comma.
func Env() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "LC_NUMERIC=") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LC_ALL=C")
}

// Process is a running tshark whose standard output is being streamed.
type Process struct {
	// Stdout is tshark's standard output. Read it to EOF (or cancel the
	// context) and then call Wait.
	Stdout io.Reader

	cmd    *exec.Cmd
	stderr *tailBuffer
	once   sync.Once
	err    error
}

// Start runs tshark at path with args. Cancelling ctx kills tshark; Wait
// must be called in every case to reap it.
func Start(ctx context.Context, path string, args []string, stdin io.Reader) (*Process, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = Env()
	cmd.Stdin = stdin
	// Kill, don't ask: tshark may sit in a blocking write to a pipe nobody
	// reads any more.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("tshark stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, &NotFoundError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("start tshark: %w", err)
	}
	return &Process{Stdout: stdout, cmd: cmd, stderr: stderr}, nil
}

// Stderr returns the bounded summary of what tshark wrote to stderr, minus
// the "running as root" warning.
func (p *Process) Stderr() string { return cleanStderr(p.stderr.String()) }

// Wait reaps tshark and classifies how it ended. It is safe to call more
// than once. A capture cut short gives a *TruncatedError (the rows already
// read are valid); any other failure an *ExitError.
func (p *Process) Wait() error {
	p.once.Do(func() {
		err := p.cmd.Wait()
		p.err = classify(err, p.Stderr())
	})
	return p.err
}

// ExitError is a tshark run that failed.
type ExitError struct {
	Code   int    // exit status, -1 if killed by a signal
	Signal string // the signal, when killed by one
	Stderr string // bounded summary of stderr
}

func (e *ExitError) Error() string {
	msg := firstLine(e.Stderr)
	if msg == "" {
		msg = "no message"
	}
	if e.Signal != "" {
		return fmt.Sprintf("tshark was killed by %s (%s)", e.Signal, msg)
	}
	return fmt.Sprintf("tshark failed with exit status %d: %s", e.Code, msg)
}

// TruncatedError says that the capture ends in the middle of a packet:
// every packet before the cut was processed, so results are partial, not
// wrong.
type TruncatedError struct{ Stderr string }

func (e *TruncatedError) Error() string {
	return "the capture is cut short in the middle of a packet; results cover the packets before the cut"
}

func classify(err error, stderr string) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("tshark: %w", err)
	}
	if strings.Contains(stderr, "cut short in the middle of a packet") {
		return &TruncatedError{Stderr: stderr}
	}
	out := &ExitError{Code: ee.ExitCode(), Stderr: stderr}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		out.Signal = ws.Signal().String()
	}
	return out
}

func cleanStderr(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "Running as user") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimPrefix(line, "tshark: ")
}

// tailBuffer keeps the first and the last max/2 bytes written to it, so a
// tshark that floods stderr cannot exhaust memory but its first complaint
// and its last words both survive.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	head    bytes.Buffer
	tail    []byte
	dropped int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if room := b.max/2 - b.head.Len(); room > 0 {
		k := min(room, len(p))
		b.head.Write(p[:k])
		p = p[k:]
	}
	if len(p) > 0 {
		b.tail = append(b.tail, p...)
		if over := len(b.tail) - b.max/2; over > 0 {
			b.dropped += over
			b.tail = append(b.tail[:0], b.tail[over:]...)
		}
	}
	return n, nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return b.head.String() + string(b.tail)
	}
	return fmt.Sprintf("%s\n[... %d bytes ...]\n%s", b.head.String(), b.dropped, b.tail)
}
