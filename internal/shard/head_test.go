package shard

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// TestJoinedHeaders: every HTTP row of a thinned shard, as tshark prints
// it in full (http1.Fields) and converted by http1.ToPacket, equals the
// same row's tshark-only columns joined to the splitter's header (Header,
// http1.Packet.Join): time, addresses, ports, relative sequence and
// acknowledgement numbers and flags, on VLAN, QinQ, IPv6, loopback (null
// and Linux cooked) captures, one begun mid-connection, ports reused and
// retransmissions, reordering and loss; every other capture with its
// records on disk (Out.HeadFile). One tshark run per capture.
func TestJoinedHeaders(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	files := []string{testutil.Testdata("http", "synth-loss-reorder.pcapng"), testutil.Testdata("http", "pipelined-v6-port6000.pcapng"),
		testutil.Testdata("http", "synth-gaps-v6.pcap")}
	for _, rel := range []string{"odd/zeek_http-vlan-0.pcap", "odd/zeek_http-qinq-0.pcap", "http/sanders_http_ip4and6.pcapng",
		"http/suricata_http-ipv6_8000.pcap", "odd/zeek_connect-with-header_null-ipv6.pcap", "tcp/zeek_iso-download_loopback.pcap.gz",
		"odd/ndpi_quickplay_sll-http.pcap", "tcp/zeek_get_nosyn.pcap", "tcp/sanders_tcp_retransmissions.pcapng",
		"http/suricata_http-range-multiflows_8000.pcap", "http/zeek_pipelined-requests.pcap"} {
		files = append(files, testutil.Shared(t, rel))
	}
	for i, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			o := &Out{Thin: true, Heads: true}
			if i%2 == 1 { // every other capture keeps its records on disk
				hf, err := os.Create(filepath.Join(t.TempDir(), "heads"))
				if err != nil {
					t.Fatal(err)
				}
				defer hf.Close()
				o.HeadFile = hf
			}
			path := filepath.Join(t.TempDir(), "shard.pcap")
			w, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			o.W = w
			_, err = Split(context.Background(), f, 1, map[int]*Out{0: o}, nil)
			w.Close()
			if err != nil {
				t.Fatalf("not splittable: %v", err)
			}
			rows := fullRows(t, bin, path)
			tcp := 0
			for _, r := range rows {
				want, err := http1.ToPacket(&r)
				if err != nil {
					t.Fatal(err)
				}
				got, err := http1.ToJoinedPacket(&r)
				if err != nil {
					t.Fatal(err)
				}
				h, ok := o.Header(got.Frame)
				if !ok {
					t.Fatalf("frame %d: no header kept", got.Frame)
				}
				if want.HasStream {
					tcp++
					if h.Stream != want.Stream {
						t.Fatalf("frame %d: tshark's stream %d, the splitter's %d", got.Frame, want.Stream, h.Stream)
					}
				}
				got.Join(&http1.Header{Time: parse.Time(h.Time), Src: h.Src, Dst: h.Dst, Seq: h.Seq, Ack: h.Ack, Flags: h.Flags})
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("frame %d:\njoined %+v\ntshark %+v\nheader %v", got.Frame, got, want, h)
				}
			}
			if tcp == 0 {
				t.Fatal("no TCP rows")
			}
		})
	}
}

// fullRows is tshark's pass-1 rows of path, every column.
func fullRows(t *testing.T, bin, path string) []http1.Row {
	args, err := tshark.Args(tshark.Spec{Input: path, Fields: http1.Fields, Mode: tshark.Columns, DisplayFilter: http1.DisplayFilter,
		HTTPPorts: []uint16{6000}, Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, args...).Output() // truncated captures exit 2 after every row
	var rows []http1.Row
	dec := parse.NewDecoder(strings.NewReader(string(out)), http1.Fields, false)
	if err := parse.Decode(dec, func(r *http1.Row) error { rows = append(rows, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}
