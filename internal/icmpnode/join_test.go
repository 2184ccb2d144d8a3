package icmpnode

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// TestPlainEchoAsTshark: on every echo tshark's full rows give, the
// header reader gives the same echo (addresses, TTL or hop limit, type,
// identifier and sequence in tshark's column form, frame length, time),
// IPv4 with Linux ping timestamps, IPv6, VLAN and cooked links; the
// payload length is tshark's in both paths.
func TestPlainEchoAsTshark(t *testing.T) {
	testutil.Tshark(t)
	bin, _, err := dissect.Find(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"icmp/misc/zeek_5-pings.pcap", "icmp/misc/zeek_icmp6-ping.pcap", "odd/zeek_icmp_dot1q.pcap", "odd/zeek_linux_dlt_sll2_ping.pcap"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			path := testutil.Shared(t, file)
			want := map[int64]Echo{}
			spec := tshark.Spec{Input: path, Fields: Fields, Mode: rowMode, DisplayFilter: DisplayFilter}
			if _, err := dissect.Run(context.Background(), bin, spec, ToEcho, func(e *Echo) error {
				want[e.Frame] = *e
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := pcapgo.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for frame := int64(1); ; frame++ {
				data, ci, err := r.ReadPacketData()
				if err != nil {
					break
				}
				h, ok := plainHead(r.LinkType(), ci, data)
				e := h.echo(0)
				w, isEcho := want[frame]
				if ok != isEcho {
					t.Errorf("frame %d: plain echo %v, tshark's echo %v", frame, ok, isEcho)
					continue
				}
				if ok {
					got++
					e.Frame, e.DataLen = frame, w.DataLen
					if e != w {
						t.Errorf("frame %d:\n header %+v\n tshark %+v", frame, e, w)
					}
				}
			}
			if got == 0 || got != len(want) {
				t.Errorf("%d plain echoes, tshark %d", got, len(want))
			}
		})
	}
}

// TestJoinedOrFull: a capture of plain echoes is measured on the joined
// path, one with an echo the headers do not give (ICMP errors quoting
// echoes, a link the header reader does not take) falls back to the full
// rows, and either way the node is the one one tshark over the file gives
// (Linux ping payloads, whose timestamp tshark leaves out of data.len,
// included). Not parallel: it counts fallbacks.
func TestJoinedOrFull(t *testing.T) {
	testutil.Tshark(t)
	cases := []struct {
		file, node string
		full       bool
	}{
		{"icmp/misc/zeek_5-pings.pcap", "", false},
		{"odd/zeek_icmp_dot1q.pcap", "192.168.123.2", false},
		{"icmp/misc/sanders_icmp_traceroute.pcapng", "192.168.100.138", true},
		{"odd/tcpdump_e1000g_solaris-ipnet-ping.pcap", "", true},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			measure := func(whole bool) string {
				opt := Options{Files: []string{testutil.Shared(t, c.file)}, Jobs: 1, whole: whole}
				if c.node != "" {
					opt.Nodes = []netip.Addr{netip.MustParseAddr(c.node)}
				}
				res, err := Run(context.Background(), opt)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.MarshalIndent(res, "", " ")
				return string(b)
			}
			before := fullReads.Load()
			split := measure(false)
			if full := fullReads.Load() != before; full != c.full {
				t.Errorf("read again with full rows: %v, want %v", full, c.full)
			}
			if whole := measure(true); split != whole {
				t.Errorf("differs from one tshark:\n%s", testutil.Diff(whole, split))
			}
		})
	}
}
