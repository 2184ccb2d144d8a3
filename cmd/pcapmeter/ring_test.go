package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/ringcut"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// fileRE is the report's name of the capture, which differs between the
// whole file and its pieces.
var fileRE = regexp.MustCompile(`"file": "[^"]*"`)

// TestRingPiecesEqualWhole: every single-capture subcommand gives, on the
// pieces of a capture cut by `editcap -c` (given as a quoted glob), the
// report it gives on the whole file: requests answered in a later piece
// are answered, connections that span pieces are one
// connection with the whole file's figures, the summary's totals and
// conversations are the whole file's, the export numbers and times frames
// as in the whole file. Pieces of 7 packets cut inside handshakes, bursts
// and retransmissions, dissected with --jobs 3 against --jobs 1 on the
// whole file: neither the cut nor the split may change a byte.
func TestRingPiecesEqualWhole(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cases := []struct {
		name    string
		capture string
		args    []string
	}{
		{"tcp", td("synth-loss-reorder.pcapng"), []string{"tcp", "--format", "json", "--gaps"}},
		{"tcp-csv", filepath.Join("..", "..", "testdata", "tcp", "synth-handshake-client.pcapng"), []string{"tcp", "--format", "csv"}},
		{"summary", td("synth-loss-reorder.pcapng"), []string{"summary", "--format", "json"}},
		{"export", td("keepalive-v4.pcapng"), []string{"export"}},
		// One node's capture in pieces (a quoted glob is one node).
		{"icmp", filepath.Join("..", "..", "testdata", "icmp", "synth-reuse.pcap"), []string{"icmp", "--format", "json", "--name", "N"}},
		{"export-fields", td("synth-loss-reorder.pcapng"), []string{"export", "--fields", "frame.number,frame.time_relative,tcp.stream,tcp.analysis.retransmission,_ws.col.Info"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			want := ringReport(t, append(c.args, c.capture, "-j", "1"))
			for _, r := range []struct {
				size int
				jobs string
			}{{7, "3"}} {
				pieces := ringcut.Cut(t, c.capture, r.size)
				glob := filepath.Join(filepath.Dir(pieces[0].Path), "ring_*")
				got := ringReport(t, append(c.args, glob, "-j", r.jobs))
				if got != want {
					t.Errorf("%d pieces of %d packets, --jobs %s:\n%s", len(pieces), r.size, r.jobs, testutil.Diff(want, got))
				}
			}
		})
	}
}

// ringReport runs pcapmeter and returns its report without the capture's
// name; the run must succeed without a word on stderr.
func ringReport(t *testing.T, args []string) string {
	t.Helper()
	code, out, errs := pcapmeter(t, args...)
	if code != 0 || errs != "" {
		t.Fatalf("%v: exit %d %q", args, code, errs)
	}
	return fileRE.ReplaceAllString(out, `"file": "X"`)
}

// TestRingRefusals: files that are not consecutive pieces of one capture
// (here a capture and a piece of itself, which overlap in time) get one
// line and no report; pieces given out of order are read in time order,
// with a warning that says so, and the same report.
func TestRingRefusals(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	whole := filepath.Join("..", "..", "testdata", "tcp", "synth-handshake-server.pcapng")
	pieces := ringcut.Cut(t, whole, 20)
	code, out, errs := pcapmeter(t, "summary", whole, pieces[1].Path)
	if code != 1 || out != "" || !strings.Contains(errs, "not consecutive pieces of one capture") || strings.Count(errs, "\n") != 1 {
		t.Errorf("overlapping files: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	want := ringReport(t, []string{"tcp", "--format", "csv", whole})
	args := []string{"tcp", "--format", "csv"}
	for i := len(pieces) - 1; i >= 0; i-- {
		args = append(args, pieces[i].Path)
	}
	code, got, errs := pcapmeter(t, args...)
	if code != 0 || got != want || !strings.Contains(errs, "warning: files were not given in time order") {
		t.Errorf("pieces in reverse: exit %d, stderr %q\n%s", code, errs, testutil.Diff(want, got))
	}
}
