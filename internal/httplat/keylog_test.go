package httplat

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
	var ke *KeyLogError
	if !errors.As(err, &ke) || ke.Path != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a KeyLogError for %s", err, missing)
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
