package dissect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func httpSpec(input string) tshark.Spec {
	return tshark.Spec{Input: input, Fields: http1.Fields, Mode: tshark.Columns, DisplayFilter: http1.DisplayFilter}
}

// TestEntryPointsAgree: the capture read from a file and fed on stdin, as
// typed rows and as raw strings, gives the same rows, and gocsv (the
// reference decoder) agrees with what Run decoded.
func TestEntryPointsAgree(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	capture := testutil.Testdata("http", "synth-pipelined-loss.pcapng")
	ctx := context.Background()
	collect := func(rows *[]http1.Row) func(*http1.Row) error {
		return func(r *http1.Row) error { *rows = append(*rows, *r); return nil }
	}
	var viaFile, viaStdin []http1.Row
	if _, err := Run(ctx, bin, httpSpec(capture), Same[http1.Row], collect(&viaFile)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(capture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := httpSpec("-")
	stdin.Stdin = f
	if _, err := Run(ctx, bin, stdin, Same[http1.Row], collect(&viaStdin)); err != nil {
		t.Fatal(err)
	}
	var raw [][]string
	if _, err := Run(ctx, bin, httpSpec(capture), Same[[]string], func(r *[]string) error { raw = append(raw, slices.Clone(*r)); return nil }); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	for _, r := range raw {
		text.WriteString(strings.Join(r, "\t") + "\n")
	}
	var viaGocsv []http1.Row
	if err := parse.StreamRows(parse.NewDecoder(&text, http1.Fields, false), collect(&viaGocsv)); err != nil {
		t.Fatal(err)
	}
	if len(viaFile) < 100 {
		t.Fatalf("only %d rows", len(viaFile))
	}
	if !reflect.DeepEqual(viaFile, viaStdin) || !reflect.DeepEqual(viaFile, viaGocsv) {
		t.Errorf("rows differ: file %d, stdin %d, gocsv %d", len(viaFile), len(viaStdin), len(viaGocsv))
	}
	for i, r := range raw {
		if r[0] != viaFile[i].Frame || len(r) != len(http1.Fields) {
			t.Fatalf("raw row %d: %q, typed frame %q", i, r, viaFile[i].Frame)
		}
	}
}

// TestConversionErrorHasLine: a row the conversion rejects is reported
// with its output line, not a made-up one.
func TestConversionErrorHasLine(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	n := 0
	_, err := Run(context.Background(), bin, httpSpec(testutil.Testdata("http", "synth-pipelined-loss.pcapng")),
		func(r *http1.Row) (http1.Row, error) {
			if n++; n == 5 {
				return *r, errors.New("bad value")
			}
			return *r, nil
		}, func(*http1.Row) error { return nil })
	var fe *parse.FormatError
	if !errors.As(err, &fe) || fe.Line != 5 {
		t.Fatalf("err = %v, want a FormatError at line 5", err)
	}
}

// TestTruncatedAndStop: a capture cut short is reported as truncated with
// the rows before the cut (from a file and from stdin), and a callback's
// error ends the run and comes back unchanged.
func TestTruncatedAndStop(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	whole, err := os.ReadFile(testutil.Testdata("http", "synth-loss-reorder.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcapng")
	os.WriteFile(cut, whole[:len(whole)/2+7], 0o644)
	ctx := context.Background()
	n := 0
	count := func(*http1.Row) error { n++; return nil }
	trunc, err := Run(ctx, bin, httpSpec(cut), Same[http1.Row], count)
	if err != nil || !trunc || n == 0 {
		t.Errorf("file: truncated %v, err %v, %d rows", trunc, err, n)
	}
	fromFile := n
	n = 0
	f, _ := os.Open(cut)
	defer f.Close()
	in := httpSpec("-")
	in.Stdin = f
	trunc, err = Run(ctx, bin, in, Same[http1.Row], count)
	if err != nil || !trunc || n != fromFile {
		t.Errorf("stdin: truncated %v, err %v, %d rows (file: %d)", trunc, err, n, fromFile)
	}
	stop := errors.New("enough")
	n = 0
	_, err = Run(ctx, bin, httpSpec(testutil.Testdata("http", "synth-loss-reorder.pcapng")), Same[http1.Row], func(*http1.Row) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("callback error: %v after %d rows", err, n)
	}
}
