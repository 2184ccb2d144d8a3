package httplat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/faketshark"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func TestInputErrors(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("GET / HTTP/1.1\r\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}, 0o644)
	cases := map[string]error{
		filepath.Join(dir, "missing.pcap"): os.ErrNotExist,
		text:                               capfile.ErrNotCapture,
		empty:                              capfile.ErrEmpty,
	}
	for f, want := range cases {
		if _, err := Run(context.Background(), Options{Files: []string{f}}); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", filepath.Base(f), err, want)
		}
	}
	if _, err := Run(context.Background(), Options{Files: []string{testutil.Testdata("http", "synth-gaps-v6.pcap")}, Percentiles: []float64{0}}); err == nil {
		t.Error("percentile 0 accepted")
	}
}

func TestTsharkFaults(t *testing.T) {
	exe, _ := os.Executable()
	capture := testutil.Testdata("http", "synth-gaps-v6.pcap")
	run := func(mode string, ctx context.Context) error {
		t.Setenv(faketshark.Env, mode)
		_, err := Run(ctx, Options{Files: []string{capture}, Tshark: exe})
		return err
	}
	var ee *tshark.ExitError
	if err := run(faketshark.Crash, context.Background()); !errors.As(err, &ee) || ee.Signal == "" {
		t.Errorf("crash: %v", err)
	}
	if err := run(faketshark.Fail, context.Background()); !errors.As(err, &ee) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("fail: %v", err)
	}
	var fe *parse.FormatError
	if err := run(faketshark.Garbage, context.Background()); !errors.As(err, &fe) {
		t.Errorf("garbage: %v", err)
	}
	var old *tshark.TooOldError
	if err := run(faketshark.Old, context.Background()); !errors.As(err, &old) {
		t.Errorf("old: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := run(faketshark.Hang, ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("hang took %v to cancel", time.Since(start))
	}
}

// bigCapture writes a capture whose shards hold more than the pipe and
// the splitter's queue.
func bigCapture(t *testing.T) string {
	t.Helper()
	cfg := synth.Default()
	cfg.Seed, cfg.Conns, cfg.PerConn, cfg.BodyMax = 7, 400, 20, 3000
	big := filepath.Join(t.TempDir(), "big.pcapng")
	f, _ := os.Create(big)
	if _, err := synth.Generate(cfg, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(big); st.Size() < 12<<20 {
		t.Fatalf("generated capture is only %d bytes; the test needs shards bigger than the queues", st.Size())
	}
	return big
}

// TestTsharkFaultsParallel: a tshark that crashes, fails, prints garbage or
// hangs while pcapmeter is feeding it a shard (more than the pipe and the
// splitter's queue hold), or while several files run side by side, ends
// the run with the fault's error; nothing blocks and every process is
// reaped.
func TestTsharkFaultsParallel(t *testing.T) {
	exe, _ := os.Executable()
	big := bigCapture(t)
	small := testutil.Testdata("http", "synth-gaps-v6.pcap")
	pidDir := t.TempDir()
	for _, c := range []struct {
		name  string
		files []string
	}{{"one big file split in 2", []string{big}}, {"3 files side by side", []string{small, big, small}}} {
		for _, mode := range []string{faketshark.Crash, faketshark.Fail, faketshark.Garbage, faketshark.Hang} {
			t.Setenv(faketshark.Env, mode)
			t.Setenv(faketshark.PIDFile, filepath.Join(pidDir, "pid"))
			// Long enough for the fake to start and the splitter to fill
			// the pipe and its queue (tens of milliseconds).
			deadline := 2 * time.Second
			if mode == faketshark.Hang {
				deadline = time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			start := time.Now()
			_, err := Run(ctx, Options{Files: c.files, Tshark: exe, Jobs: 2})
			cancel()
			var ee *tshark.ExitError
			var fe *parse.FormatError
			ok := false
			switch mode {
			case faketshark.Crash:
				ok = errors.As(err, &ee) && ee.Signal != ""
			case faketshark.Fail:
				ok = errors.As(err, &ee) && strings.Contains(err.Error(), "boom")
			case faketshark.Garbage:
				ok = errors.As(err, &fe)
			case faketshark.Hang:
				ok = errors.Is(err, context.DeadlineExceeded)
			}
			if !ok {
				t.Errorf("%s, %s: %v", c.name, mode, err)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("%s, %s: took %v to end", c.name, mode, d)
			}
			if b, err := os.ReadFile(filepath.Join(pidDir, "pid")); err == nil {
				var pid int
				fmt.Sscan(string(b), &pid)
				if pid > 0 && syscall.Kill(pid, 0) == nil {
					t.Errorf("%s, %s: tshark %d still running", c.name, mode, pid)
				}
			}
		}
	}
}
