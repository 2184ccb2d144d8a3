package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestSelectionFlags: a bad --filter is tshark's complaint in one line,
// exit 2, and the output file is not written; a selection that leaves
// everything out says so; the JSON states the selection applied.
func TestSelectionFlags(t *testing.T) {
	testutil.Tshark(t)
	out := filepath.Join(t.TempDir(), "r.json")
	in := td("keepalive-v4.pcapng")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--filter", `http.host contans "x"`, "-o", out}, 2, `tshark rejected --filter "http.host contans \"x\"": "contans" was unexpected`},
		{[]string{"--from", "yesterday"}, 2, "invalid --from"},
		{[]string{"--from", "1700000001", "--to", "1700000000"}, 2, "not after --from"},
		{[]string{"--client", "host.example"}, 2, "invalid --client"},
		{[]string{"--client", "10.9.9.9", "-q"}, 1, "all 100 exchanges found were left out"},
	}
	for _, c := range cases {
		code, stdout, stderr := pcapmeter(t, append([]string{"http", in}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want %d and one line with %q", c.args, code, stderr, c.code, c.msg)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%q: %s was written", c.args, out)
		}
	}
	code, stdout, stderr := pcapmeter(t, "http", in, "-q", "-f", "json", "--client", "127.0.0.1", "--filter", `http.request.method == "POST"`, "--to", "2100-01-01T00:00:00Z")
	var r struct {
		Selection map[string]any `json:"selection"`
		Totals    struct {
			Matched int `json:"matched"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, stderr)
	}
	want := map[string]any{"filter": `http.request.method == "POST"`, "client": "127.0.0.1", "to": "2100-01-01T00:00:00.000000000Z", "excluded_exchanges": 88.0}
	for k, v := range want {
		if r.Selection[k] != v {
			t.Errorf("selection.%s = %v, want %v", k, r.Selection[k], v)
		}
	}
	if r.Totals.Matched != 12 { // the recorder's 12 POSTs
		t.Errorf("matched %d, want 12", r.Totals.Matched)
	}
}
