// Package testutil holds what several packages' tests share: golden files
// compared with a line diff (Golden, and -update to rewrite them), finding
// the real tshark (failing, not skipping, when it is missing, because a
// suite that silently skips its end-to-end tests proves nothing), the
// shared captures folder, and the truth files of testdata captures.
package testutil

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Root is the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Testdata returns a path under the repository's testdata folder.
func Testdata(parts ...string) string {
	return filepath.Join(append([]string{Root(), "testdata"}, parts...)...)
}

// Tshark returns the tshark to test with. It fails the test when there is
// none, unless PCAPMETER_SKIP_TSHARK=1 says to skip on purpose.
func Tshark(t testing.TB) string {
	t.Helper()
	name := os.Getenv("TSHARK")
	if name == "" {
		name = "tshark"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PCAPMETER_SKIP_TSHARK") == "1" {
			t.Skip("tshark not installed and PCAPMETER_SKIP_TSHARK=1")
		}
		t.Fatalf("tshark not found (%v): run scripts/install-deps.sh, or set PCAPMETER_SKIP_TSHARK=1 to skip end-to-end tests", err)
	}
	return p
}

// Shared returns a path under ../shared/captures, skipping the test with a
// message when that folder is absent (it lives beside the repository, not
// in it).
func Shared(t testing.TB, rel string) string {
	t.Helper()
	dir := filepath.Join(Root(), "..", "shared", "captures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared captures folder %s is absent; skipping", dir)
	}
	return filepath.Join(dir, rel)
}

// LoopbackTruth is the truth file written by scripts/recordhttp.
type LoopbackTruth struct {
	Scenario  string `json:"scenario"`
	Server    string `json:"server"`
	Exchanges []struct {
		URI      string `json:"uri"`
		Method   string `json:"method"`
		Conn     int    `json:"conn"`
		Index    int    `json:"index"`
		Status   int    `json:"status"`
		Interim  int    `json:"interim"`
		TTFBNS   int64  `json:"ttfb_ns"`
		ServerNS int64  `json:"server_ns"`
	} `json:"exchanges"`
}

// ReadJSON decodes a JSON file into v or fails the test.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// NoRaceExitSleep makes the programs this test process starts exit at
// once under the race detector. A fake tshark (internal/faketshark) is the
// test binary itself, and a race-enabled binary sleeps a second at every
// exit by default (GORACE atexit_sleep_ms=1000) to let late reports out:
// a second per faked tshark run. Race detection in them stays on; a
// GORACE the caller set is kept, and wins where it names the same option.
// Call it from TestMain.
func NoRaceExitSleep() {
	os.Setenv("GORACE", strings.TrimSpace("atexit_sleep_ms=0 "+os.Getenv("GORACE")))
}
