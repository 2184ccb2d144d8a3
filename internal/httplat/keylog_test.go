package httplat

import (
	"context"
	"errors"
	"github.com/pcapmeter/pcapmeter/internal/keylog"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestKeyLogMissing: tshark decrypts nothing, silently, when its key log
// is missing; pcapmeter says which file and why before it runs.
func TestKeyLogMissing(t *testing.T) {
	testutil.Tshark(t)
	dir := testutil.Testdata("h2")
	missing := filepath.Join(t.TempDir(), "nope.keylog")
	_, err := Run(context.Background(), Options{
		Files:   []string{filepath.Join(dir, "https1-v4-8443.pcapng")},
		KeyLogs: []string{filepath.Join(dir, "https1-v4-8443.pcapng.keylog"), missing},
	})
	var ke *keylog.Error
	if !errors.As(err, &ke) || ke.Path != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a keylog.Error for %s", err, missing)
	}
}

// TestKeyLogHTTPS1: HTTPS/1.1 is measured once tshark has the keys: all 36
// exchanges of the three TLS connections (TLS 1.2 and 1.3), none without.
func TestKeyLogHTTPS1(t *testing.T) {
	dir := testutil.Testdata("h2")
	file := filepath.Join(dir, "https1-v4-8443.pcapng")
	res, _ := measure(t, Options{Files: []string{file}, KeyLogs: []string{file + ".keylog"}})
	if res.Total.Matched != 36 {
		t.Errorf("with the key log: %d matched, want 36", res.Total.Matched)
	}
	if _, err := Run(context.Background(), Options{Files: []string{file}}); !errors.Is(err, ErrNoHTTP) {
		t.Errorf("without keys: err = %v, want ErrNoHTTP", err)
	}
}

// TestKeyLogsConcatenated: several key logs all count (tshark reads one
// file, so they are joined in an unnamed file), and nothing of them is
// left behind in the temporary directory.
func TestKeyLogsConcatenated(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := testutil.Testdata("h2")
	file := filepath.Join(dir, "mixed-tls-v4.pcapng")
	res, _ := measure(t, Options{Files: []string{file}, KeyLogs: []string{file + ".h1.keylog", file + ".h2.keylog"}})
	if res.Total.Matched < 20 {
		t.Errorf("%d matched, want at least the 20 HTTP/1.1 exchanges (keys of the first file)", res.Total.Matched)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		if strings.Contains(e.Name(), "pcapmeter") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestKeyLogDecryptsNothing: TLS without keys, or with the keys of another
// capture, is counted and every undecrypted connection is named (client,
// server, server name, ClientHello frame), so the user can check the key
// log against them; a partial decryption warns with the names.
func TestKeyLogDecryptsNothing(t *testing.T) {
	dir := testutil.Testdata("h2")
	in := func(f string) string { return filepath.Join(dir, f) }
	tests := []struct {
		name       string
		opt        Options
		noHTTP     bool
		conns, dec int
		warn       string // in a warning; "" for none about TLS
	}{
		{"no key log", Options{Files: []string{in("https2-v4.pcapng")}}, true, 2, 0, ""},
		{"another capture's key log", Options{Files: []string{in("https2-v4.pcapng")}, KeyLogs: []string{in("https1-v4-8443.pcapng.keylog")}}, true, 2, 0, ""},
		{"half the keys", Options{Files: []string{in("mixed-tls-v4.pcapng")}, KeyLogs: []string{in("mixed-tls-v4.pcapng.h1.keylog")}}, false, 4, 2,
			"2 of 4 TLS connections were not decrypted: 127.0.0.1:"},
		{"all keys", Options{Files: []string{in("https2-v4.pcapng")}, KeyLogs: []string{in("https2-v4.pcapng.keylog")}}, false, 2, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := shared(t, tc.opt, 1)
			if (o.err == ErrNoHTTP) != tc.noHTTP {
				t.Fatalf("err = %v, want ErrNoHTTP %v", o.err, tc.noHTTP)
			}
			ts := o.res.TLS
			if ts == nil || ts.Connections != tc.conns || ts.Decrypted != tc.dec || ts.KeyLog != (len(tc.opt.KeyLogs) > 0) {
				t.Fatalf("TLS = %+v, want %d connections, %d decrypted", ts, tc.conns, tc.dec)
			}
			if len(ts.NotDecrypted) != tc.conns-tc.dec {
				t.Fatalf("%d named undecrypted connections, want %d", len(ts.NotDecrypted), tc.conns-tc.dec)
			}
			for i, c := range ts.NotDecrypted {
				if c.Server.String() != "127.0.0.1:443" || c.Client.Port() == 443 || c.SNI != "pcapmeter.test" || c.Frame <= 0 || c.File != tc.opt.Files[0] {
					t.Errorf("undecrypted %+v: want a client to 127.0.0.1:443 (pcapmeter.test) and its ClientHello frame", c)
				}
				if i > 0 && c.Frame <= ts.NotDecrypted[i-1].Frame {
					t.Errorf("undecrypted not in ClientHello order: %+v", ts.NotDecrypted)
				}
			}
			names := ts.UndecryptedNames()
			if tc.dec < tc.conns && strings.Count(names, "→ 127.0.0.1:443 (pcapmeter.test, ClientHello in frame ") != tc.conns-tc.dec {
				t.Errorf("names %q", names)
			}
			var warned string
			for _, w := range o.res.Warnings {
				if strings.Contains(w, "TLS") {
					warned = w
				}
			}
			if !strings.Contains(warned, tc.warn) || (tc.warn == "") != (warned == "") {
				t.Errorf("TLS warning %q, want one containing %q", warned, tc.warn)
			}
			if tc.warn != "" && !strings.Contains(warned, "the key log holds no keys for them") {
				t.Errorf("warning %q does not say the key log lacks their keys", warned)
			}
		})
	}
}

// TestKeyLogStoppedDecrypting: records after a segment the capture lacks
// cannot be decrypted, so their exchanges are in no count; the report
// says which connection stopped, from where, and the JSON names it, for
// any --jobs. The whole capture has no such warning.
func TestKeyLogStoppedDecrypting(t *testing.T) {
	testutil.Tshark(t)
	whole := filepath.Join(testutil.Testdata("h2"), "https2-v4.pcapng")
	cut := filepath.Join(t.TempDir(), "https2-cut.pcapng")
	if b, err := exec.Command("editcap", whole, cut, "100-105").CombinedOutput(); err != nil {
		t.Skipf("editcap: %v %s", err, b)
	}
	keys := []string{whole + ".keylog"}
	for _, jobs := range []int{1, 2} {
		o := runJobs(t, Options{Files: []string{cut}, KeyLogs: keys}, jobs)
		tls := o.res.TLS
		if tls == nil || len(tls.StoppedDecrypting) != 1 || tls.StoppedDecrypting[0].From != 100 || tls.StoppedDecrypting[0].Segments < 100 ||
			tls.StoppedConnections != 1 || tls.UnreadSegments != tls.StoppedDecrypting[0].Segments {
			t.Fatalf("jobs %d: TLS %+v; want one connection stopped decrypting from frame 100", jobs, tls)
		}
		if !slices.ContainsFunc(o.res.Warnings, func(w string) bool { return strings.Contains(w, "stopped decrypting") }) {
			t.Errorf("jobs %d: no warning in %q", jobs, o.res.Warnings)
		}
	}
	o := runJobs(t, Options{Files: []string{whole}, KeyLogs: keys}, 1)
	if o.res.TLS == nil || len(o.res.TLS.StoppedDecrypting) != 0 {
		t.Errorf("whole capture: %+v", o.res.TLS)
	}
}
