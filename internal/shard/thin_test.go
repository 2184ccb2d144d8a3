package shard

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// thinCaptures are the captures thinning is proven on: the project's
// generated captures with loss, reordering, gaps and resets, and the
// public ones with retransmissions, duplicate ACKs, zero windows, a
// capture begun mid-connection, a dropped response and odd link layers.
// (Every capture under testdata/http and ../shared/captures/{http,tcp,odd}
// passed when thinning was written; this keeps the test cheap.)
func thinCaptures(t *testing.T) []string {
	files, _ := filepath.Glob(testutil.Testdata("http", "synth-*.pcap*"))
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") && !sameACKs[filepath.Base(f)] {
			out = append(out, f)
		}
	}
	for _, pat := range []string{"tcp/*.pcap*", "http/zeek_1000-requests-one-dropped-response.pcap", "http/zeek_pipelined-requests.pcap",
		"http/ndpi_1kxun.pcap", "odd/ndpi_quickplay_sll-http.pcap", "odd/zeek_http-qinq-0.pcap", "odd/suricata_http-mime-truncated.pcap"} {
		shared, _ := filepath.Glob(filepath.Join(testutil.Root(), "..", "shared", "captures", pat))
		for _, f := range shared {
			if !sameACKs[filepath.Base(f)] {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no captures")
	}
	return out
}

// sameACKs are captures of the same shape as another one in the list, so
// thinning them takes no other path (each costs two tshark runs of pass
// 1's fields): sanders_latency2 and 3 are sanders_latency1's fetch, the
// same packets slow for other reasons; synth-ring, written for ring-buffer
// cuts, is the writer's pipelined keep-alive with loss, as
// synth-pipelined-loss is (another seed, a lower loss rate).
var sameACKs = map[string]bool{"sanders_latency2.pcapng": true, "sanders_latency3.pcapng": true, "synth-ring.pcapng": true}

// TestThinRowsIdentical: tshark's HTTP rows (pass 1's fields, filter and
// preferences) over a thinned capture are the rows over the whole one,
// once frame numbers are translated back: every reassembly, every HTTP
// field, the out-of-order flag and whether a segment is a retransmission.
// Identical rows make identical results, whatever pcapmeter does with them.
// The one thing thinning does change is which kind of retransmission
// tshark calls a segment (fast after duplicate ACKs, spurious when already
// acknowledged), which pcapmeter never tells apart (http1.ToPacket): the
// three columns are compared as one.
func TestThinRowsIdentical(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	for _, f := range thinCaptures(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			want := thinRows(t, bin, f)
			o := &Out{Thin: true}
			thinned := filepath.Join(t.TempDir(), "thin.pcap")
			w, err := os.Create(thinned)
			if err != nil {
				t.Fatal(err)
			}
			o.W = w
			_, err = Split(context.Background(), f, 1, map[int]*Out{0: o}, nil)
			w.Close()
			if err != nil {
				t.Skipf("not splittable: %v", err)
			}
			got := thinRows(t, bin, thinned)
			for i := 1; i < len(got); i++ { // row 0 is the header
				got[i] = untranslate(t, o, got[i])
			}
			for i := range got {
				got[i] = anyRetrans(got[i])
			}
			for i := range want {
				want[i] = anyRetrans(want[i])
			}
			if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
				t.Errorf("rows differ after thinning (-whole +thinned):\n%s", testutil.Diff(w, g))
			}
			n := int64(len(o.frames))
			dropped := thinnedCount(t, f, n)
			t.Logf("thinning kept %d of %d packets", n, n+dropped)
			// 84 of its 88 pure ACKs are plain (the rest repeat an ACK
			// during loss, or follow one that did).
			if filepath.Base(f) == "synth-loss-reorder.pcapng" && dropped != 84 {
				t.Errorf("thinning left out %d packets, want the 84 plain ACKs", dropped)
			}
		})
	}
}

// thinRows is tshark's pass-1 rows of path, one string each.
func thinRows(t *testing.T, bin, path string) []string {
	args, err := tshark.Args(tshark.Spec{Input: path, Fields: http1.Fields, Mode: tshark.Fields, DisplayFilter: http1.DisplayFilter,
		HTTPPorts: []uint16{6000}, Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, args...).Output() // truncated captures exit 2 after every row
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// untranslate rewrites a thinned run's frame numbers (frame.number,
// tcp.segment, http.request_in) to the original file's.
func untranslate(t *testing.T, o *Out, row string) string {
	cols := strings.Split(row, "\t")
	for i, name := range http1.Fields {
		if name != "frame.number" && name != "tcp.segment" && name != "http.request_in" || cols[i] == "" {
			continue
		}
		nums := strings.Split(cols[i], ",")
		for j, s := range nums {
			n, err := strconv.ParseInt(s, 10, 64)
			orig, ok := o.Frame(n)
			if err != nil || !ok {
				t.Fatalf("%s %q: no such frame", name, s)
			}
			nums[j] = strconv.FormatInt(orig, 10)
		}
		cols[i] = strings.Join(nums, ",")
	}
	return strings.Join(cols, "\t")
}

// anyRetrans merges a row's three retransmission columns into the first.
func anyRetrans(row string) string {
	cols := strings.Split(row, "\t")
	var kinds []int
	for i, name := range http1.Fields {
		switch name {
		case "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission":
			kinds = append(kinds, i)
		}
	}
	if len(cols) != len(http1.Fields) || strings.HasPrefix(row, "frame.number") {
		return row
	}
	any := ""
	for _, i := range kinds {
		if cols[i] != "" {
			any = "1"
		}
		cols[i] = ""
	}
	cols[kinds[0]] = any
	return strings.Join(cols, "\t")
}

// thinnedCount is how many of path's packets thinning left out.
func thinnedCount(t *testing.T, path string, kept int64) int64 {
	o := &Out{W: discard{}}
	if _, err := Split(context.Background(), path, 1, map[int]*Out{0: o}, nil); err != nil {
		t.Fatal(err)
	}
	return int64(len(o.frames)) - kept
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
