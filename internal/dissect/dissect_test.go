package dissect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func httpSpec(input string) tshark.Spec {
	return tshark.Spec{Input: input, Fields: parse.HTTPFields, Mode: tshark.Columns, DisplayFilter: parse.HTTPDisplayFilter}
}

// TestEntryPointsAgree: gocsv decoding, the fast decoder, the capture fed
// on stdin and the raw strings all see the same rows of a real capture.
func TestEntryPointsAgree(t *testing.T) {
	bin := testutil.Tshark(t)
	capture := testutil.Testdata("http", "synth-pipelined-loss.pcapng")
	ctx := context.Background()
	collect := func(rows *[]parse.Row) func(*parse.Row) error {
		return func(r *parse.Row) error { *rows = append(*rows, *r); return nil }
	}
	var viaGocsv, viaFast, viaStdin []parse.Row
	if _, err := Run(ctx, bin, httpSpec(capture), collect(&viaGocsv)); err != nil {
		t.Fatal(err)
	}
	if _, err := RunFast(ctx, bin, httpSpec(capture), collect(&viaFast)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := RunInput(ctx, bin, httpSpec("-"), f, collect(&viaStdin)); err != nil {
		t.Fatal(err)
	}
	var raw [][]string
	if _, err := RunRaw(ctx, bin, httpSpec(capture), func(r []string) error { raw = append(raw, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(viaGocsv) < 100 {
		t.Fatalf("only %d rows", len(viaGocsv))
	}
	if !reflect.DeepEqual(viaGocsv, viaFast) || !reflect.DeepEqual(viaGocsv, viaStdin) {
		t.Errorf("rows differ: gocsv %d, fast %d, stdin %d", len(viaGocsv), len(viaFast), len(viaStdin))
	}
	if len(raw) != len(viaGocsv) {
		t.Fatalf("raw: %d rows, want %d", len(raw), len(viaGocsv))
	}
	for i, r := range raw {
		if r[0] != viaGocsv[i].Frame || len(r) != len(parse.HTTPFields) {
			t.Fatalf("raw row %d: %q, typed frame %q", i, r, viaGocsv[i].Frame)
		}
	}
}

// TestTruncatedAndStop: a capture cut short is reported as truncated with
// the rows before the cut (from a file and from stdin), and a callback's
// error ends the run and comes back unchanged.
func TestTruncatedAndStop(t *testing.T) {
	bin := testutil.Tshark(t)
	whole, err := os.ReadFile(testutil.Testdata("http", "synth-loss-reorder.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcapng")
	os.WriteFile(cut, whole[:len(whole)/2+7], 0o644)
	ctx := context.Background()
	n := 0
	count := func(*parse.Row) error { n++; return nil }
	trunc, err := RunFast(ctx, bin, httpSpec(cut), count)
	if err != nil || !trunc || n == 0 {
		t.Errorf("file: truncated %v, err %v, %d rows", trunc, err, n)
	}
	fromFile := n
	n = 0
	f, _ := os.Open(cut)
	defer f.Close()
	trunc, err = RunInput(ctx, bin, httpSpec("-"), f, count)
	if err != nil || !trunc || n != fromFile {
		t.Errorf("stdin: truncated %v, err %v, %d rows (file: %d)", trunc, err, n, fromFile)
	}
	stop := errors.New("enough")
	n = 0
	_, err = RunFast(ctx, bin, httpSpec(testutil.Testdata("http", "synth-loss-reorder.pcapng")), func(*parse.Row) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("callback error: %v after %d rows", err, n)
	}
}
