package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/stats"
)

// TestPlotSharedCaptures: every shared HTTP capture (HTTP/2 ones in
// h2c/ too, and the browsing captures whose zero latencies once crashed
// the log-scale panel, sanders_http_espn among them) plots without a
// panic and keeps its report, including one with requests and no
// response (ndpi_WebattackRCE_requests-only), whose page says so.
//
// The pages are SVG but for the first capture's: the figure (scales,
// panels, fits) is laid out the same way for both formats, and PNG's
// rasterising costs about 2 s of CPU per capture under the race detector,
// several times the rest of its run, without adding a case. The first
// keeps PNG, as TestPlotFiles does for the summary page.
func TestPlotSharedCaptures(t *testing.T) {
	testutil.Tshark(t)
	dir := testutil.Shared(t, "http")
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil || len(paths) == 0 {
		t.Skipf("no shared HTTP captures: %v", err)
	}
	ext := ".png"
	for _, path := range paths {
		page := "x" + ext
		ext = ".svg"
		name, _ := filepath.Rel(dir, path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plot := filepath.Join(t.TempDir(), page)
			var out, errb bytes.Buffer
			code := runHTTP([]string{path, "--plot", plot, "-q", "-j", "1"}, &out, &errb)
			if code != 0 {
				t.Errorf("exit %d, stderr %q", code, errb.String())
			}
			if !strings.Contains(out.String(), "AVERAGE LATENCY") && !strings.Contains(out.String(), "unanswered") {
				t.Errorf("no report on stdout:\n%s", out.String())
			}
			if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
				t.Errorf("no %s written: %v", page, err)
			}
		})
	}
}

// TestPlotFailureIsWarning: a figure that fails to draw (an error, or a
// panic inside the drawing) becomes one warning line and a report
// warning, never an exit code or a crash.
func TestPlotFailureIsWarning(t *testing.T) {
	for name, draw := range map[string]func() error{
		"error": func() error { return errors.New("no room") },
		"panic": func() error { panic("log scale") },
	} {
		var errb bytes.Buffer
		var warnings []string
		plotWarning(&errb, "pcapmeter http", &warnings, "x.svg", draw)
		if !strings.Contains(errb.String(), "pcapmeter http: warning: plot x.svg not drawn") || len(warnings) != 1 {
			t.Errorf("%s: stderr %q, warnings %q", name, errb.String(), warnings)
		}
	}
	var errb bytes.Buffer
	var warnings []string
	plotWarning(&errb, "pcapmeter http", &warnings, "x.svg", func() error { return nil })
	if errb.Len() != 0 || len(warnings) != 0 {
		t.Errorf("a plot drawn fine warned: %q %q", errb.String(), warnings)
	}
}

// TestPlotUnwritableRefusedFirst: a --plot path that cannot be written is
// refused before any dissection (http and summary), with one line.
func TestPlotUnwritableRefusedFirst(t *testing.T) {
	testutil.Tshark(t)
	t.Parallel()
	for _, args := range [][]string{
		{"http", td("keepalive-v4.pcapng"), "-q", "-f", "json"},
		{"summary", td("synth-gaps-v6.pcap"), "-q"},
	} {
		bad := filepath.Join(t.TempDir(), "missing-dir", "x.png")
		code, out, errs := pcapmeter(t, append(args, "--plot", bad)...)
		if code != 1 || out != "" || !strings.Contains(errs, "cannot write "+bad) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", args[0], code, out, errs)
		}
	}
}

// TestQuietEverywhere: every subcommand takes -q/--quiet (its help lists
// it, and a run with it succeeds).
func TestQuietEverywhere(t *testing.T) {
	testutil.Tshark(t)
	gaps := td("synth-gaps-v6.pcap")
	icmp := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	for _, args := range [][]string{
		{"http", gaps}, {"tcp", gaps}, {"summary", gaps}, {"export", gaps}, {"icmp", icmp},
	} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			if _, out, _ := pcapmeter(t, args[0], "--help"); !strings.Contains(out, "-q, --quiet") {
				t.Errorf("%s --help lacks -q, --quiet", args[0])
			}
			if code, _, errs := pcapmeter(t, append(args, "-q")...); code != 0 {
				t.Errorf("%v -q: exit %d %q", args, code, errs)
			}
		})
	}
}

// TestHelpUnknownTopic: a misspelt topic is a usage error, not the
// overview with exit 0.
func TestHelpUnknownTopic(t *testing.T) {
	code, out, errs := pcapmeter(t, "help", "tcpp")
	if code != 2 || out != "" || !strings.Contains(errs, `no help topic "tcpp"`) {
		t.Errorf("help tcpp: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestVersion: --version names a build (not "dev") and the tshark in use.
func TestVersion(t *testing.T) {
	testutil.Tshark(t)
	code, out, _ := pcapmeter(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "pcapmeter (") && !strings.HasPrefix(out, "pcapmeter v") || !strings.Contains(out, "tshark: 4.") {
		t.Errorf("--version: exit %d %q", code, out)
	}
}

// TestPlotReplacedWhole: a plot is held out of the report's commit and
// put in place only once drawn and written; one that fails (an error or
// a panic while drawing) leaves the existing picture as it was and
// nothing beside it, and one that succeeds replaces it.
func TestPlotReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	report, plot := filepath.Join(dir, "r.txt"), filepath.Join(dir, "p.svg")
	os.WriteFile(plot, []byte("old plot"), 0o644)
	for name, encode := range map[string]func() ([]byte, error){
		"error": func() ([]byte, error) { return nil, errors.New("no room") },
		"panic": func() ([]byte, error) { panic("log scale") },
	} {
		outs, err := openOutputs(nil, io.Discard, report, plot)
		if err != nil {
			t.Fatal(err)
		}
		outs.hold(plot)
		if err := outs.commit(); err != nil {
			t.Fatal(err)
		}
		var errb bytes.Buffer
		var warnings []string
		plotWarning(&errb, "pcapmeter http", &warnings, plot, func() error { return outs.put(plot, encode) })
		outs.abort()
		if b, _ := os.ReadFile(plot); string(b) != "old plot" || len(warnings) != 1 {
			t.Errorf("%s: plot %q, warnings %q", name, b, warnings)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Errorf("%s: left beside the outputs: %v", name, entries)
		}
	}
	outs, err := openOutputs(nil, io.Discard, plot)
	if err != nil {
		t.Fatal(err)
	}
	outs.hold(plot)
	outs.commit()
	if err := outs.put(plot, func() ([]byte, error) { return []byte("<svg/>"), nil }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(plot); string(b) != "<svg/>" {
		t.Errorf("plot not replaced: %q", b)
	}
}

// TestProfilesComplete: --cpuprofile is stopped before its commit (it was
// committed while still running, then written to a closed file: 0 bytes)
// and both profiles are gzip-compressed pprof files.
func TestProfilesComplete(t *testing.T) {
	testutil.Tshark(t)
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	code, _, errs := pcapmeter(t, "http", td("keepalive-v4.pcapng"), "-q", "-f", "json", "--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, p := range []string{cpu, mem} {
		if b, _ := os.ReadFile(p); len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, not a gzip-compressed profile", p, len(b))
		}
	}
}

// TestPlotRatePanels: the --plot page carries each server's --interval
// rate series as the requests/s and bytes/s panels, per second whatever
// the interval (drawLatency on a result made here: no tshark needed).
func TestPlotRatePanels(t *testing.T) {
	t.Parallel()
	xs := []float64{0.010, 0.012, 0.015, 0.020, 0.031}
	srv := &httplat.ServerResult{Server: netip.MustParseAddrPort("10.0.0.5:80"),
		Samples: map[httplat.Definition][]float64{httplat.TTFB: xs},
		Latency: map[httplat.Definition]httplat.Latency{httplat.TTFB: {Summary: stats.Summary{N: 5, Mean: 0.0176}}},
		Times:   []float64{1.7e9, 1.7e9 + 0.1, 1.7e9 + 0.2, 1.7e9 + 0.3, 1.7e9 + 0.4}, TimeSamples: xs,
		Breakdown: &httplat.Breakdown{Interval: 0.1, RespWire: httplat.SizeStat{N: 5},
			Series: []httplat.RateBucket{{Start: 1.7e9, Requests: 1, WireBytes: 900}, {Start: 1.7e9 + 0.1, Requests: 4, WireBytes: 4000}}}}
	res := &httplat.Result{Definition: httplat.TTFB, Servers: []*httplat.ServerResult{srv}}
	b, err := drawLatency("x.svg", res, stats.KLOptions{Buckets: 10, Base: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Requests (per second, 100 ms buckets)", "Throughput: response bytes on the wire (per second, 100 ms buckets)", "requests/s"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("plot lacks %q", want)
		}
	}
}

// TestRateSeries: the breakdown's buckets become the chart's series one
// for one; a server without a series draws no rate panels.
func TestRateSeries(t *testing.T) {
	for _, b := range []*httplat.Breakdown{nil, {}, {Interval: 1}} {
		if r := rateSeries(b); r != nil {
			t.Errorf("%+v: rate %+v, want none", b, r)
		}
	}
	b := &httplat.Breakdown{Interval: 0.5, RespWire: httplat.SizeStat{N: 2}, Series: []httplat.RateBucket{{Start: 10, Requests: 3, WireBytes: 900}, {Start: 10.5}, {Start: 11, Requests: 1, WireBytes: 7}}}
	r := rateSeries(b)
	if r == nil || r.Start != 10 || r.Interval != 0.5 || !slices.Equal(r.Requests, []float64{3, 0, 1}) || !slices.Equal(r.Bytes, []float64{900, 0, 7}) || r.BytesLabel == "" {
		t.Errorf("rate %+v", r)
	}
	b.RespWire.N = 0 // HTTP/2: no size on the wire known
	if r := rateSeries(b); r == nil || r.Bytes != nil || len(r.Requests) != 3 {
		t.Errorf("no size known, rate %+v", r)
	}
}
