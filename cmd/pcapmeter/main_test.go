package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestMain(m *testing.M) {
	faketshark.Main()
	testutil.NoRaceExitSleep()
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func td(name string) string { return filepath.Join("..", "..", "testdata", "http", name) }

func h2td(name string) string { return filepath.Join("..", "..", "testdata", "h2", name) }

func pcapmeter(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

var versionRE = regexp.MustCompile(`"tshark_version": "[^"]*"`)

// golden compares got with testdata/name.golden, the tshark version
// aside; the version must be one (the analysis' own check passed it down),
// not "unknown".
func golden(t *testing.T, name, got string) {
	t.Helper()
	if strings.Contains(got, `"tshark_version": "unknown"`) {
		t.Errorf("%s: the report does not know which tshark ran", name)
	}
	got = versionRE.ReplaceAllString(got, `"tshark_version": "X"`)
	testutil.Golden(t, filepath.Join("testdata", name+".golden"), got)
}

func TestGoldenReports(t *testing.T) {
	testutil.Tshark(t)
	cases := []struct {
		name string
		args []string
	}{
		{"keepalive.text", []string{"http", td("keepalive-v4.pcapng")}},
		{"pipelined.json", []string{"http", td("pipelined-v6-port6000.pcapng"), "--port", "6000", "--crosscheck", "--format", "json"}},
		{"gaps.csv", []string{"http", td("synth-gaps-v6.pcap"), "--format", "csv"}},
		{"gaps.jsonl", []string{"http", td("synth-gaps-v6.pcap"), "--format", "jsonl"}},
		{"pipelined-loss-ttlb.text", []string{"http", td("synth-pipelined-loss.pcapng"), "--latency", "ttlb", "--percentiles", "50,90,99.9", "--kl-base", "e", "--pairing", "tshark", "--histogram", "linear"}},
		{"keepalive-fit-ci.text", []string{"http", td("keepalive-v4.pcapng"), "--fit", "--ci", "95", "--histogram", "off"}},
		{"keepalive-fit-ci.json", []string{"http", td("keepalive-v4.pcapng"), "--fit", "--ci", "90", "--format", "json"}},
		// The breakdown's sections: per status class, --top of URIs, no
		// size on the wire (HTTP/2), --unit, --interval.
		{"https2-breakdown.text", []string{"http", h2td("https2-v4.pcapng"), "--keylog", h2td("https2-v4.pcapng.keylog"), "--unit", "us", "--top", "3", "--histogram", "off"}},
		{"https2-breakdown.json", []string{"http", h2td("https2-v4.pcapng"), "--keylog", h2td("https2-v4.pcapng.keylog"), "--top", "3", "--interval", "100ms", "-f", "json"}},
		// Two servers: the overview, --top 1 leaving one to the table,
		// a selection, reconstructed exchanges with their sizes.
		{"select-top.text", []string{"http", td("synth-gaps-v6.pcap"), td("keepalive-v4.pcapng"), "--top", "1", "--from", "1700000000.05", "--histogram", "off"}},
		// A quoted glob: three captures side by side, merged into one report.
		{"synth-glob.text", []string{"http", td("synth-[glp]*-[lrv]*[gp]"), "--histogram", "off", "--jobs", "3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := pcapmeter(t, c.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			golden(t, c.name, out)
		})
	}
}

func TestOutputFile(t *testing.T) {
	testutil.Tshark(t)
	out := filepath.Join(t.TempDir(), "x.csv")
	code, stdout, _ := pcapmeter(t, "http", td("synth-gaps-v6.pcap"), "-f", "csv", "-o", out)
	b, _ := os.ReadFile(out)
	if code != 0 || stdout != "" || strings.Count(string(b), "\n") != 46 {
		t.Errorf("exit %d, %d lines in file, stdout %q", code, strings.Count(string(b), "\n"), stdout)
	}
}

// TestErrors: each bad input gets one line on stderr that says what is
// wrong, and its exit code.
func TestErrors(t *testing.T) {
	testutil.Tshark(t)
	dir := t.TempDir()
	notcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notcap, []byte("hello\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}, 0o644)
	whole, _ := os.ReadFile(td("synth-loss-reorder.pcapng"))
	cut := filepath.Join(dir, "cut.pcapng")
	os.WriteFile(cut, whole[:len(whole)*2/3], 0o644)
	ok := td("keepalive-v4.pcapng")
	h2 := filepath.Join("..", "..", "testdata", "h2", "https2-v4.pcapng")
	h1keys := filepath.Join("..", "..", "testdata", "h2", "https1-v4-8443.pcapng.keylog")
	cases := []struct {
		args []string
		env  string
		code int
		msg  string
	}{
		{nil, "", 2, "Usage"},
		{[]string{"frobnicate"}, "", 2, "unknown command"},
		{[]string{"http"}, "", 2, "no capture file"},
		{[]string{"http", ok, "--server", "10.0.0.300"}, "", 2, "invalid IP address"},
		{[]string{"http", ok, "--server", "example.com"}, "", 2, "invalid IP address"},
		{[]string{"http", ok, "--port", "70000"}, "", 2, "invalid port"},
		{[]string{"http", ok, "--port", "80 || 1==1"}, "", 2, "invalid port"},
		{[]string{"http", ok, "--server", ""}, "", 2, "--server is empty"},
		{[]string{"http", ok, "--port="}, "", 2, "--port is empty"},
		{[]string{"http", ok, "--filter", " "}, "", 2, "--filter is empty"},
		{[]string{"tcp", ok, "--stream", ""}, "", 2, "--stream is empty"},
		{[]string{"icmp", ok, "--node", ""}, "", 2, "--node is empty"},
		{[]string{"http", ok, "--format", "xml"}, "", 2, "invalid --format"},
		{[]string{"http", ok, "--percentiles", "0,50"}, "", 2, "invalid percentile"},
		{[]string{"http", ok, "--latency", "rtt"}, "", 2, "unknown latency"},
		{[]string{"http", filepath.Join(dir, "nope.pcap")}, "", 1, "no such file"},
		{[]string{"http", filepath.Join(dir, "ring_*.pcapng")}, "", 2, "no file matches"},
		{[]string{"http", ok, td("keepalive-v4.pcapng")}, "", 2, "given twice"},
		{[]string{"http", notcap}, "", 1, "not a pcap or pcapng capture"},
		{[]string{"http", empty}, "", 1, "holds no packets"},
		{[]string{"http", ok, "--server", "10.9.9.9"}, "", 1, "no HTTP request or response to or from 10.9.9.9"},
		{[]string{"http", filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")}, "", 1, "name it with --http-port PORT"},
		{[]string{"http", ok}, "/no/such/tshark", 1, "tshark not found"},
		{[]string{"http", cut}, "", 3, "partial result"},
		{[]string{"http", h2}, "", 1, "the capture is encrypted: 2 TLS connections to 127.0.0.1:443 (2), server names pcapmeter.test, 0 decrypted; no latency can be measured from encrypted records; record the TLS key log with the traffic (SSLKEYLOGFILE="},
		{[]string{"http", h2, "--keylog", h1keys}, "", 1, "0 decrypted; no latency can be measured from encrypted records; the key log holds no keys for 127.0.0.1:"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			if c.env != "" {
				t.Setenv("TSHARK", c.env)
			}
			code, _, errs := pcapmeter(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, c.code, errs, c.msg)
			}
			if c.code != 2 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", errs)
			}
		})
	}
}

// TestDecryptedNoHTTP: TLS the key log decrypts all of, carrying no HTTP
// ("ping"/"pong" in the Illustrated TLS 1.3 capture), is said to be so;
// the generic hint asked for the key log just given.
func TestDecryptedNoHTTP(t *testing.T) {
	testutil.Tshark(t)
	capture := testutil.Shared(t, "tls/illustrated-tls13_capture.pcap")
	keys := testutil.Shared(t, "tls/illustrated-tls13_keylog.txt")
	code, _, errs := pcapmeter(t, "http", capture, "--keylog", keys)
	want := "pcapmeter http: no HTTP request or response in the capture: its 1 TLS connection(s) were all decrypted and carry no HTTP (another protocol inside TLS?)\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", code, errs, want)
	}
}

func TestPartialReportIsFlagged(t *testing.T) {
	testutil.Tshark(t)
	whole, _ := os.ReadFile(td("synth-loss-reorder.pcapng"))
	cut := filepath.Join(t.TempDir(), "cut.pcapng")
	os.WriteFile(cut, whole[:len(whole)/2], 0o644)
	code, out, _ := pcapmeter(t, "http", cut, "--format", "json")
	if code != 3 || !strings.Contains(out, `"partial": true`) {
		t.Errorf("exit %d, json %s", code, out)
	}
	_, out, errs := pcapmeter(t, "http", cut)
	if !strings.Contains(out, "PARTIAL") {
		t.Errorf("text report not flagged: %s", out)
	}
	// The exit-3 line says why the result is partial, not every warning
	// the report carries (this capture has others: its losses).
	want := "pcapmeter http: partial result: " + cut + ": the capture is cut short in the middle of a packet; results cover the packets before the cut\n"
	if errs != want || strings.Count(out, "warning:") < 2 {
		t.Errorf("stderr %q, want %q (with other warnings in the report: %d)", errs, want, strings.Count(out, "warning:"))
	}
}

// TestInterruptReapsTshark: Ctrl-C during a run kills tshark, waits for it,
// and exits 130.
func TestInterruptReapsTshark(t *testing.T) {
	exe, _ := os.Executable()
	pidfile := filepath.Join(t.TempDir(), "pid")
	t.Setenv(faketshark.Env, faketshark.Hang)
	t.Setenv(faketshark.PIDFile, pidfile)
	done := make(chan int, 1)
	go func() {
		code, _, _ := pcapmeter(t, "http", td("synth-gaps-v6.pcap"), "--tshark", exe)
		done <- code
	}()
	var pid int
	for i := 0; i < 200 && pid == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(pidfile)
		pid, _ = strconv.Atoi(string(b))
	}
	if pid == 0 {
		t.Fatal("fake tshark never started")
	}
	time.Sleep(100 * time.Millisecond)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit %d, want 130", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGINT")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("tshark %d left behind: %v", pid, err)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := pcapmeter(t, "http", "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--crosscheck") {
		t.Errorf("help: %d %q", code, out)
	}
	code, out, _ = pcapmeter(t, "help")
	if code != 0 || !strings.Contains(out, "pcapmeter http") {
		t.Errorf("help: %d %q", code, out)
	}
}

func TestPlotFiles(t *testing.T) {
	testutil.Tshark(t)
	dir := t.TempDir()
	svg := filepath.Join(dir, "lat.svg")
	code, _, errs := pcapmeter(t, "http", td("keepalive-v4.pcapng"), "--plot", svg)
	b, _ := os.ReadFile(svg)
	if code != 0 || !strings.Contains(string(b), "HTTP latency: ttfb (request first byte -&gt; response first byte) · keepalive-v4.pcapng") || strings.Count(string(b), "127.0.0.1:8080 (pcapmeter.test) · n = 100") != 1 {
		t.Errorf("http --plot: exit %d %q, %d bytes", code, errs, len(b))
	}
	png := filepath.Join(dir, "sum.png")
	code, _, errs = pcapmeter(t, "summary", td("synth-gaps-v6.pcap"), "--plot", png)
	b, _ = os.ReadFile(png)
	if code != 0 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("summary --plot: exit %d %q", code, errs)
	}
	if code, _, errs := pcapmeter(t, "http", td("keepalive-v4.pcapng"), "--plot", filepath.Join(dir, "x.jpg")); code != 2 || !strings.Contains(errs, ".svg or .png") {
		t.Errorf("jpg: %d %q", code, errs)
	}
	if code, _, errs := pcapmeter(t, "http", td("keepalive-v4.pcapng"), "--ci", "100"); code != 2 || !strings.Contains(errs, "invalid --ci") {
		t.Errorf("ci 100: %d %q", code, errs)
	}
}
