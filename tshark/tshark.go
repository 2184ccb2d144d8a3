// Package tshark finds, checks and runs Wireshark's tshark. It is the only
// place pcapmeter starts a process: arguments are built by pure functions
// and passed as an argv (never through a shell), stdout is streamed to the
// caller while tshark runs, stderr is kept in a bounded summary for error
// messages, and every started process is waited for, also when the caller
// cancels or fails half way. tshark runs in a process group of its own that
// is killed as a whole, so nothing it (or a wrapper script) started outlives
// it, and on Linux it dies with pcapmeter even when pcapmeter is killed
// with SIGKILL.
package tshark

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

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
	grp    *group
	stderr *tailBuffer
	once   sync.Once
	err    error
}

// Start runs tshark at path with args. tshark gets a process group of its
// own, killed as a whole when ctx is cancelled or when tshark exits, so that
// nothing a wrapper script started outlives it; on Linux the kernel also
// kills tshark if pcapmeter dies without cleaning up (SIGKILL, the OOM
// killer). Wait must be called in every case to reap it.
func Start(ctx context.Context, path string, args []string, stdin io.Reader) (*Process, error) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = Env()
	cmd.Stdin = stdin
	cmd.SysProcAttr = sysProcAttr()
	grp := newGroup()
	// Kill, don't ask: tshark may sit in a blocking write to a pipe nobody
	// reads any more. The whole group, so that a wrapper's children do not
	// keep the output pipes open until WaitDelay.
	cmd.Cancel = func() error { return grp.kill(cmd.Process) }
	// A safety net only: a process that left the group (setsid) and holds
	// a pipe open cannot make Wait hang longer than this.
	cmd.WaitDelay = 5 * time.Second
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("tshark stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		if cannotRun(err) {
			return nil, &NotFoundError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("start tshark: %w", err)
	}
	grp.watch(cmd.Process)
	return &Process{Stdout: stdout, cmd: cmd, grp: grp, stderr: stderr}, nil
}

// cannotRun reports whether a start error means that there is no runnable
// program at the path (as opposed to, say, too many open files).
func cannotRun(err error) bool {
	return errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) ||
		errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.ENOEXEC)
}

// Stderr returns the bounded summary of what tshark wrote to stderr, minus
// the "running as root" warning.
func (p *Process) Stderr() string { return cleanStderr(p.stderr.String()) }

// Wait reaps tshark and classifies how it ended. It is safe to call more
// than once. A capture cut short gives a *TruncatedError (the rows already
// read are valid); any other failure an *ExitError.
func (p *Process) Wait() error {
	p.once.Do(func() {
		// Reap only after the group is dealt with: until then the unreaped
		// leader keeps its pid, so the group kill cannot hit a stranger.
		<-p.grp.done
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
