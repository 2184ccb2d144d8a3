package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/synth"
)

// TestWriteScenario: -scenario writes the capture and truth the package
// generates for that name, so make-testdata and the tests agree.
func TestWriteScenario(t *testing.T) {
	for _, name := range []string{"body-gaps", "icmp-reuse"} {
		out := filepath.Join(t.TempDir(), "x.pcap")
		writeScenario(name, out, true)
		sc, err := synth.FindScenario(name)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		tr, err := sc.Generate(&want)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: capture differs from synth's", name)
		}
		js, _ := json.MarshalIndent(tr, "", " ")
		gotJS, _ := os.ReadFile(out + ".truth.json")
		if !bytes.Equal(gotJS, append(js, '\n')) {
			t.Errorf("%s: truth differs from synth's", name)
		}
	}
}
