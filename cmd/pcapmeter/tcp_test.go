package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestTCPGolden(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cases := []struct {
		name string
		args []string
	}{
		{"tcp-loss.text", []string{"tcp", td("synth-loss-reorder.pcapng")}},
		{"tcp-loss.csv", []string{"tcp", td("synth-loss-reorder.pcapng"), "--format", "csv"}},
		{"tcp-gaps-stream1.json", []string{"tcp", td("synth-loss-reorder.pcapng"), "--gaps", "--stream", "1", "--format", "json"}},
		{"tcp-pipelined-v6.text", []string{"tcp", td("pipelined-v6-port6000.pcapng"), "--server", "::1", "--port", "6000"}},
		// TLS handshakes: text with keys, JSON (nulls) and CSV without.
		{"tcp-tls-keys.text", []string{"tcp", tlsCap, "--keylog", tlsCap + ".keylog"}},
		{"tcp-tls.json", []string{"tcp", tlsCap, "--format", "json"}},
		{"tcp-tls.csv", []string{"tcp", tlsCap, "--format", "csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := pcapmeter(t, c.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d %q", code, errs)
			}
			golden(t, c.name, out)
		})
	}
}

// tlsCap is scripts/recordtls' capture of every kind of TLS handshake.
var tlsCap = filepath.Join("..", "..", "testdata", "tls", "handshakes-v4.pcapng")

// TestTCPTLSPieces: the TLS capture cut into ring-buffer pieces gives the
// whole file's report (a connection spanning pieces is one; the text has
// no file name), and $SSLKEYLOGFILE is the key log when --keylog is not
// given: the pieces' text is the whole file's golden with --keylog.
func TestTCPTLSPieces(t *testing.T) {
	testutil.Tshark(t)
	dir := t.TempDir()
	if b, err := exec.Command("editcap", "-c", "40", tlsCap, filepath.Join(dir, "ring.pcapng")).CombinedOutput(); err != nil {
		t.Skipf("editcap: %v %s", err, b)
	}
	pieces, _ := filepath.Glob(filepath.Join(dir, "ring*.pcapng"))
	if len(pieces) < 3 {
		t.Fatalf("%d pieces", len(pieces))
	}
	t.Setenv("SSLKEYLOGFILE", tlsCap+".keylog")
	code, out, errs := pcapmeter(t, append([]string{"tcp", "-q"}, pieces...)...)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "tcp-tls-keys.text.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("pieces differ from the whole file with --keylog:\n%s", testutil.Diff(string(want), out))
	}
}

func TestTCPErrors(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"tcp"}, 2, "give a capture file"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--stream", "-1"}, 2, "invalid --stream"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--stream", "99"}, 1, "no TCP connection matches"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--server", "10.0.0.256"}, 2, "invalid IP address"},
		{[]string{"tcp", tlsCap, "--keylog", "/nonexistent/keys.log"}, 1, "key log /nonexistent/keys.log: no such file"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errs := pcapmeter(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d %q; want %d %q", code, errs, c.code, c.msg)
			}
		})
	}
}
