package httplat

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestShardedIdentical: splitting by connection changes nothing, on the
// project's captures and the public ones whose link types the splitter
// reads; those it cannot split fall back, say so, and agree too.
func TestShardedIdentical(t *testing.T) {
	t.Parallel()
	files := []string{
		testutil.Testdata("http", "keepalive-v4.pcapng"), testutil.Testdata("http", "synth-loss-reorder.pcapng"),
		testutil.Testdata("http", "synth-gaps-v6.pcap"), testutil.Testdata("http", "synth-pipelined-loss.pcapng"),
	}
	for _, rel := range []string{"http/zeek_1000-requests-one-dropped-response.pcap", "http/ndpi_1kxun.pcap",
		"http/suricata_browsing-mixed-tls-subjectaltname.pcap", "odd/ndpi_quickplay_sll-http.pcap",
		"odd/zeek_http-qinq-0.pcap", "odd/suricata_http-mime-truncated.pcap", "tcp/zeek_iso-download_loopback.pcap.gz",
		"odd/zeek_vxlan-encapsulated-http.pcap", "odd/zeek_nflog-http.pcap"} {
		files = append(files, testutil.Shared(t, rel))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			opt := Options{Files: []string{f}, Crosscheck: true}
			one, many := shared(t, opt, 1), runJobs(t, opt, 3)
			same(t, filepath.Base(f), one, many)
			fellBack := len(many.res.Unsplit) > 0
			if strings.Contains(many.warns, "dissected by one tshark") || one.warns != many.warns {
				t.Errorf("%s: warnings change with --jobs:\n%s\n%s", filepath.Base(f), one.warns, many.warns)
			}
			wantFallback := strings.Contains(f, "vxlan") || strings.Contains(f, "nflog")
			if fellBack != wantFallback {
				t.Errorf("%s: fallback %v, want %v (%s)", filepath.Base(f), fellBack, wantFallback, many.res.Unsplit)
			}
			if one.res.Crosscheck.Agree != many.res.Crosscheck.Agree {
				t.Errorf("%s: crosscheck differs", filepath.Base(f))
			}
		})
	}
}

// TestShardedManyPasses forces more shards than processes, so the file is
// read in several passes, and checks progress covers every pass.
func TestShardedManyPasses(t *testing.T) {
	t.Parallel()
	cfg := synth.Default()
	cfg.Seed, cfg.Conns, cfg.PerConn, cfg.Loss, cfg.GapEvery = 41, 24, 6, 0.02, 5
	path := filepath.Join(t.TempDir(), "many.pcapng")
	f, _ := os.Create(path)
	if _, err := synth.Generate(cfg, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	est, _ := shard.EstimatePackets(path)
	var seen []int64
	opt := Options{Files: []string{path}, Progress: func(done, total int64) { seen = append(seen, total) }}
	whole := runJobs(t, opt, 1) // small enough for one tshark
	if len(seen) == 0 || seen[len(seen)-1] != st.Size() {
		t.Fatalf("one tshark: progress totals %v, want %d (one pass)", seen, st.Size())
	}
	opt.shardPackets = est/7 + 1 // 7 shards
	// Jobs 0 (an Options zero value) means 1: Run normalizes the options
	// before anything else, so that is checked there rather than with
	// seven more tsharks.
	if zero := opt; zero.normalize() != nil || zero.Jobs != 1 {
		t.Errorf("--jobs 0 normalized to %d, want 1", zero.Jobs)
	}
	// The file is read once; each shard dissected after the first --jobs
	// counts the file's size over --jobs (a pass's worth per --jobs shards).
	for _, c := range []struct{ jobs int }{{1}, {2}} {
		wantTotal := st.Size() + int64(7-max(1, c.jobs))*(st.Size()/int64(max(1, c.jobs)))
		seen = nil
		got := runJobs(t, opt, c.jobs)
		name := fmt.Sprintf("7 shards, --jobs %d", c.jobs)
		same(t, name, whole, got)
		// Even --jobs 1 splits a file too big for one tshark.
		if len(seen) == 0 || seen[len(seen)-1] != wantTotal {
			t.Errorf("%s: progress totals %v, want %d (one read of %d bytes and the later shards)", name, seen, wantTotal, st.Size())
		}
		if len(got.res.Unsplit) > 0 {
			t.Errorf("%s: fell back: %s", name, got.res.Unsplit)
		}
	}
}

// TestManyFiles: files given together are measured side by side (up to
// --jobs at a time) with the same report, the same exchanges in the order
// the files were given, and warnings in that order, as one at a time.
func TestManyFiles(t *testing.T) {
	t.Parallel()
	files := []string{
		testutil.Testdata("http", "synth-pipelined-loss.pcapng"), testutil.Testdata("http", "keepalive-v4.pcapng"),
		testutil.Testdata("http", "synth-gaps-v6.pcap"), testutil.Testdata("http", "pipelined-v6-port6000.pcapng"),
		testutil.Testdata("http", "synth-loss-reorder.pcapng"),
	}
	type fileEx struct {
		file string
		ex   exchange.Exchange
	}
	run := func(jobs int) ([]fileEx, *Result) {
		testutil.Tshark(t)
		var got []fileEx
		opt := Options{Files: files, HTTPPorts: []uint16{6000}, Jobs: jobs, Crosscheck: true,
			OnExchange: func(f string, e *exchange.Exchange) error {
				got = append(got, fileEx{f, *e})
				return nil
			}}
		res, err := Run(context.Background(), opt)
		if err != nil {
			t.Fatalf("jobs %d: %v", jobs, err)
		}
		return got, res
	}
	seqEx, seq := run(1)
	if len(seqEx) == 0 || len(seq.Warnings) == 0 {
		t.Fatalf("reference run: %d exchanges, warnings %q", len(seqEx), seq.Warnings)
	}
	// Two workers for five files queue them (a file waits its turn and
	// its exchanges wait in the ordered sink); eight jobs run all five at
	// once. A third count would take one of these two paths again.
	for _, jobs := range []int{2, 8} {
		parEx, par := run(jobs)
		name := fmt.Sprintf("%d files, --jobs %d", len(files), jobs)
		same(t, name, outcome{res: seq}, outcome{res: par})
		if !slices.Equal(seqEx, parEx) {
			t.Errorf("%s: exchanges differ or arrive in another order (%d vs %d)", name, len(seqEx), len(parEx))
		}
		if !slices.Equal(seq.Warnings, par.Warnings) {
			t.Errorf("%s: warnings\n%q\nvs\n%q", name, seq.Warnings, par.Warnings)
		}
		if a, b := seq.Crosscheck, par.Crosscheck; a.Requests != b.Requests || a.Agree != b.Agree || !slices.Equal(a.Disagreements, b.Disagreements) {
			t.Errorf("%s: crosscheck differs", name)
		}
	}
}

// lateFragmentCapture writes cfg's capture with a fragmented TCP packet,
// which the splitter cannot place, at the very end.
func lateFragmentCapture(t *testing.T, cfg synth.Config) string {
	t.Helper()
	var gen bytes.Buffer
	if _, err := synth.Generate(cfg, &gen); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&gen)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "late-fragment.pcap")
	f, _ := os.Create(path)
	w := pcapgo.NewWriterNanos(f)
	w.WriteFileHeader(65535, r.LinkType())
	var last time.Time
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		w.WritePacket(ci, data)
		last = ci.Timestamp
	}
	// Ethernet, then IPv4 with "more fragments" set, carrying TCP.
	frag := make([]byte, 14+20+20)
	binary.BigEndian.PutUint16(frag[12:], 0x0800)
	ip := frag[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 40)
	binary.BigEndian.PutUint16(ip[6:], 0x2000)
	copy(ip[12:], []byte{10, 9, 9, 1, 10, 9, 9, 2})
	w.WritePacket(gopacket.CaptureInfo{Timestamp: last.Add(time.Second), CaptureLength: len(frag), Length: len(frag)}, frag)
	f.Close()
	if st, _ := os.Stat(path); st.Size() < 2<<20 {
		t.Fatalf("capture of %d bytes is too small for the test", st.Size())
	}
	return path
}

// TestFallbackLate: a packet the splitter cannot place (a fragmented TCP
// packet) at the very end of a capture is found only after the shards were
// mostly dissected; the file is then dissected by one tshark, and what the
// shards had already found must not be counted a second time.
func TestFallbackLate(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cfg := synth.Default()
	// Several MB: each shard gets many chunks before the bad packet.
	cfg.Seed, cfg.Conns, cfg.PerConn, cfg.BodyMax, cfg.PCAPNG = 43, 40, 20, 5000, false
	path := lateFragmentCapture(t, cfg)

	// One tshark: the reference for both split runs (a file this small is
	// not split with one job, so the per-exchange sink changes nothing).
	opt := Options{Files: []string{path}}
	one := runJobs(t, opt, 1)
	if want := cfg.Conns * cfg.PerConn; one.res.Total.Matched != want {
		t.Fatalf("--jobs 1: %d matched, want %d", one.res.Total.Matched, want)
	}
	// Without a per-exchange sink the shards' exchanges go straight to
	// the aggregate figures; with one they are spilled first.
	two, err := Run(context.Background(), Options{Files: []string{path}, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	same(t, "late fragment, aggregate only", outcome{res: one.res}, outcome{res: two})
	if !strings.Contains(strings.Join(two.Unsplit, "; "), "dissected by one tshark") {
		t.Errorf("no word of the fallback: %q", two.Unsplit)
	}
	same(t, "late fragment, per exchange", one, runJobs(t, opt, 2))
}

// TestShardCount: the split is sized to the work, not to --jobs alone (a
// 136-packet capture with -j 32 once started 33 tsharks).
func TestShardCount(t *testing.T) {
	defer func(old int64) { minShardPackets = old }(minShardPackets)
	minShardPackets = MinShardPackets
	for _, c := range []struct {
		jobs int
		est  int64
		want int
	}{
		{32, 136, 1},
		{256, 50_000, 1},
		{4, 250_000, 2},   // 125k packets a shard; a third would hold < 100k
		{2, 5_000_000, 5}, // the memory bound wins over --jobs
		{8, 3_200_000, 8},
		{1, 0, 1},
	} {
		if got := shardCount(c.jobs, c.est, ShardPackets); got != c.want {
			t.Errorf("shardCount(%d, %d) = %d, want %d", c.jobs, c.est, got, c.want)
		}
	}
	minShardPackets = 0 // forced: --jobs shards
	if got := shardCount(32, 136, ShardPackets); got != 32 {
		t.Errorf("forced: %d shards, want 32", got)
	}
}
