package httplat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestShardsAtMostConnections: --jobs 32 on a 5-connection capture, the
// packet minimum off (as in every test here), starts at most 5 shard
// tsharks, not 32 (issue #16: -j 32 on 9 connections started 33
// tsharks). A wrapper that logs each invocation and execs the real tshark
// counts them; shards read standard input ("-r -").
func TestShardsAtMostConnections(t *testing.T) {
	t.Parallel()
	real := testutil.Tshark(t)
	dir := t.TempDir()
	cfg := synth.Default()
	cfg.Seed, cfg.Conns, cfg.PerConn = 16, 5, 2
	path := filepath.Join(dir, "nine.pcapng")
	f, _ := os.Create(path)
	if _, err := synth.Generate(cfg, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	log := filepath.Join(dir, "calls.log")
	wrapper := filepath.Join(dir, "tshark")
	script := "#!/bin/sh\necho \"$*\" >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got := runJobs(t, Options{Files: []string{path}, Tshark: wrapper}, 32)
	if want := cfg.Conns * cfg.PerConn; got.res.Total.Matched != want {
		t.Fatalf("%d matched, want %d", got.res.Total.Matched, want)
	}
	b, _ := os.ReadFile(log)
	shards := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(" "+l+" ", " -r - ") {
			shards++
		}
	}
	if shards == 0 || shards > cfg.Conns {
		t.Errorf("%d shard tsharks for %d connections:\n%s", shards, cfg.Conns, b)
	}
}
