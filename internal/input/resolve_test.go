//go:build linux

package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
	"golang.org/x/sys/unix"
)

// childEnv makes the test binary resolve the FIFO it names, as pcapmeter
// would, and wait to be killed.
const childEnv = "PCAPMETER_INPUT_TEST_CHILD"

func TestMain(m *testing.M) {
	if fifo := os.Getenv(childEnv); fifo != "" {
		Resolve(context.Background(), []string{fifo})
		select {}
	}
	os.Exit(m.Run())
}

// capture is a real capture's bytes.
func capture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.Testdata("http", "synth-gaps-v6.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// emptyTmp points $TMPDIR at a fresh directory and fails the test if
// anything is left in it at the end.
func emptyTmp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	t.Cleanup(func() { assertEmpty(t, dir) })
	return dir
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("%d files left in $TMPDIR, first %s", len(es), es[0].Name())
	}
}

// openFDs counts this process's descriptors, to catch leaks.
func openFDs(t *testing.T) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "capture.fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// feed writes data to the FIFO after a delay (so the reader is already
// waiting for a writer), then closes it.
func feed(t *testing.T, fifo string, data []byte, delay time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(delay)
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = w.Write(data)
		w.Close()
		done <- err
	}()
	return done
}

func readPath(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFIFOSpooled: a FIFO whose writer comes late is read once, completely,
// into a file that can be opened by path any number of times, leaves
// nothing in $TMPDIR at any point, and is gone after Close.
func TestFIFOSpooled(t *testing.T) {
	tmp := emptyTmp(t)
	fifo := mkfifo(t)
	want := capture(t)
	for _, c := range []struct {
		name string
		data []byte
	}{{"capture", want}, {"empty", nil}} {
		done := feed(t, fifo, c.data, 100*time.Millisecond)
		s, err := Resolve(t.Context(), []string{fifo})
		if err != nil {
			t.Fatal(err)
		}
		got := s.Captures[0]
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			// The writer still waits for a reader: Resolve took an early
			// EOF for the end of the stream.
			t.Fatalf("%s: Resolve returned before the writer came", c.name)
		}
		if !got.Spooled || got.Arg != fifo || got.Path == fifo {
			t.Errorf("%s: capture %+v", c.name, got)
		}
		for range 2 {
			if b := readPath(t, got.Path); !bytes.Equal(b, c.data) {
				t.Errorf("%s: spool holds %d bytes, want %d", c.name, len(b), len(c.data))
			}
		}
		if s.Name(got.Path) != fifo {
			t.Errorf("Name(%s) = %s", got.Path, s.Name(got.Path))
		}
		assertEmpty(t, tmp)
		s.Close()
		if _, err := os.Stat(got.Path); err == nil {
			t.Errorf("%s: spool still open after Close", c.name)
		}
	}
}

// TestOpenSharesStreams: Open lets a capture be named twice (unlike
// Resolve) and reads a FIFO named twice only once.
func TestOpenSharesStreams(t *testing.T) {
	emptyTmp(t)
	fifo := mkfifo(t)
	if _, err := Resolve(t.Context(), []string{fifo, fifo}); err == nil {
		t.Error("Resolve accepted a FIFO twice")
	}
	want := capture(t)
	done := feed(t, fifo, want, 0)
	s, err := Open(t.Context(), []string{fifo, fifo})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-done
	a, b := s.Captures[0], s.Captures[1]
	if a.Path != b.Path || !b.Spooled || !bytes.Equal(readPath(t, b.Path), want) {
		t.Errorf("captures %+v %+v", a, b)
	}
}

// TestCancel: Ctrl-C while waiting for a FIFO's writer, or for a writer
// that went silent, ends Resolve at once, with nothing left open or on
// disk.
func TestCancel(t *testing.T) {
	for _, c := range []struct {
		name   string
		writer func(fifo string) (io.Closer, error)
	}{
		{"no writer", func(string) (io.Closer, error) { return io.NopCloser(nil), nil }},
		{"silent writer", func(fifo string) (io.Closer, error) { return openWriter(fifo, nil) }},
		{"stalled writer", func(fifo string) (io.Closer, error) { return openWriter(fifo, make([]byte, 100<<10)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			emptyTmp(t)
			fifo := mkfifo(t)
			before := openFDs(t)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := Resolve(ctx, []string{fifo})
				done <- err
			}()
			w, err := c.writer(fifo)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			select {
			case err := <-done:
				t.Fatalf("Resolve returned before cancel: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Resolve = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Resolve ignores cancellation")
			}
			w.Close()
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after, %d before", after, before)
			}
		})
	}
}

// openWriter opens fifo for writing (waiting for the reader) and writes
// data, keeping it open. With more data than a pipe holds, the write
// returns only once the reader has taken some.
func openWriter(fifo string, data []byte) (io.Closer, error) {
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = w.Write(data)
	return w, err
}

// withStdin makes f standard input for the test.
func withStdin(t *testing.T, f *os.File) {
	saved := stdinFile
	stdinFile = f
	t.Cleanup(func() { stdinFile = saved })
}

// TestStdin: a pipe on "-" is spooled, a regular file is used in place
// (and counted as itself by Unique), a terminal and a device are refused.
func TestStdin(t *testing.T) {
	emptyTmp(t)
	want := capture(t)

	r, w, _ := os.Pipe()
	defer r.Close()
	go func() { w.Write(want); w.Close() }()
	withStdin(t, r)
	s, err := Resolve(t.Context(), []string{"-"})
	if err != nil || !s.Captures[0].Spooled || !bytes.Equal(readPath(t, s.Captures[0].Path), want) {
		t.Fatalf("pipe on stdin: %+v %v", s, err)
	}
	if s.Captures[0].Name() != "standard input" {
		t.Errorf("Name %q", s.Captures[0].Name())
	}
	s.Close()

	file := testutil.Testdata("http", "synth-gaps-v6.pcap")
	f, _ := os.Open(file)
	defer f.Close()
	withStdin(t, f)
	s, err = Resolve(t.Context(), []string{"-"})
	if err != nil || s.Captures[0].Spooled || !strings.HasPrefix(s.Captures[0].Path, "/proc/") || !bytes.Equal(readPath(t, s.Captures[0].Path), want) {
		t.Fatalf("file on stdin: %+v %v", s, err)
	}
	s.Close()
	var de *DuplicateError
	if _, err := Resolve(t.Context(), []string{file, "-"}); !errors.As(err, &de) || !strings.Contains(err.Error(), "standard input are the same capture") {
		t.Errorf("file and the same file on stdin: %v", err)
	}

	null, _ := os.Open("/dev/null")
	defer null.Close()
	withStdin(t, null)
	var nr *NotRegularError
	if _, err := Resolve(t.Context(), []string{"-"}); !errors.As(err, &nr) {
		t.Errorf("/dev/null on stdin: %v", err)
	}

	tty := openPTY(t)
	withStdin(t, tty)
	if _, err := Resolve(t.Context(), []string{"-"}); !errors.Is(err, ErrTerminal) {
		t.Errorf("terminal on stdin: %v", err)
	}
}

// openPTY returns the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestProcessSubstitution: `pcapmeter http <(zcat x.pcap.gz)` names a pipe
// as /dev/fd/N; it is a stream like a FIFO.
func TestProcessSubstitution(t *testing.T) {
	emptyTmp(t)
	want := capture(t)
	r, w, _ := os.Pipe()
	defer r.Close()
	go func() { w.Write(want); w.Close() }()
	s, err := Resolve(t.Context(), []string{fmt.Sprintf("/dev/fd/%d", r.Fd())})
	if err != nil || !s.Captures[0].Spooled || !bytes.Equal(readPath(t, s.Captures[0].Path), want) {
		t.Fatalf("process substitution: %+v %v", s, err)
	}
	s.Close()
}

// TestTsharkReadsSpool: the real tshark reads a spooled FIFO by its path,
// in two passes, exactly as it reads the original file.
func TestTsharkReadsSpool(t *testing.T) {
	emptyTmp(t)
	bin := testutil.Tshark(t)
	file := testutil.Testdata("http", "synth-gaps-v6.pcap")
	fifo := mkfifo(t)
	done := feed(t, fifo, capture(t), 0)
	s, err := Resolve(t.Context(), []string{fifo})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-done
	frames := func(path string) string {
		p, err := tshark.Start(t.Context(), bin, []string{"-2", "-n", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "tcp.stream"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(p.Stdout)
		if err := p.Wait(); err != nil {
			t.Fatalf("tshark -r %s: %v", path, err)
		}
		return string(out)
	}
	want, got := frames(file), frames(s.Captures[0].Path)
	if got != want || strings.Count(want, "\n") < 10 {
		t.Errorf("tshark read %d lines from the spool, %d from the file", strings.Count(got, "\n"), strings.Count(want, "\n"))
	}
}

// TestSIGKILLDuringSpool: a pcapmeter killed half way through reading a
// FIFO leaves nothing in $TMPDIR.
func TestSIGKILLDuringSpool(t *testing.T) {
	tmp := emptyTmp(t)
	fifo := mkfifo(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+fifo, "TMPDIR="+tmp)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// Three pipe-fulls: the write returns only after the child has spooled
	// at least two of them.
	w, err := openWriter(fifo, make([]byte, 3<<16))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd.Process.Kill()
	cmd.Wait()
	assertEmpty(t, tmp)
}

// BenchmarkSpool compares copyStream (poll, then read) with a plain
// io.Copy from the same pipe: the price of never blocking where Ctrl-C
// cannot reach.
func BenchmarkSpool(b *testing.B) {
	chunk := make([]byte, 1<<20)
	const total = 64 << 20
	for _, mode := range []string{"copyStream", "io.Copy"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(total)
			for b.Loop() {
				r, w, _ := os.Pipe()
				go func() {
					for n := 0; n < total; n += len(chunk) {
						w.Write(chunk)
					}
					w.Close()
				}()
				if mode == "copyStream" {
					copyStream(context.Background(), io.Discard, r)
				} else {
					io.Copy(io.Discard, r)
				}
				r.Close()
			}
		})
	}
}
