package icmpnode

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// capinfosPackets is the number of packets in path, by capinfos.
func capinfosPackets(t *testing.T, path string) int64 {
	out, err := exec.Command("capinfos", "-M", "-c", "-T", "-r", path).Output()
	if err != nil {
		t.Fatalf("capinfos: %v", err)
	}
	f := strings.Fields(string(out))
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		t.Fatalf("capinfos: %q", out)
	}
	return n
}

// TestRangesEqualWhole: a node measured through the splitter (TCP left
// out, three packet ranges forced on small captures, the later ones
// spilled and replayed in order) is, field for field, the node one tshark
// over the file gives: on the generated node capture, the shared ICMP
// captures (IPv6, traceroute errors), the node's pings merged into an
// HTTP capture (TCP left out) and a link type the splitter does not parse
// (ranges need no parsing).
func TestRangesEqualWhole(t *testing.T) {
	testutil.Tshark(t)
	oldMin := minShardPackets
	minShardPackets = 0
	before := spilledRanges.Load()
	// Cleanup, not defer: the parallel subtests run after this function
	// returns.
	t.Cleanup(func() {
		minShardPackets = oldMin
		// Skipped (no shared captures beside the project): nothing ran.
		if n := spilledRanges.Load() - before; !t.Skipped() && n < 2*5 {
			t.Errorf("%d ranges spilled, want 2 per capture (not cut into 3?)", n)
		}
	})
	mixed := filepath.Join(t.TempDir(), "mixed.pcapng")
	if out, err := exec.Command("mergecap", "-w", mixed, testutil.Testdata("http", "synth-loss-reorder.pcapng"), testutil.Testdata("icmp", "synth-node.pcap")).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v %s", err, out)
	}
	cases := []struct{ file, node string }{
		{testutil.Testdata("icmp", "synth-node.pcap"), ""},
		{mixed, ""},
		{testutil.Shared(t, "icmp/misc/zeek_icmp6-ping.pcap"), ""},
		{testutil.Shared(t, "icmp/misc/sanders_icmp_traceroute.pcapng"), "192.168.100.138"},
		{testutil.Shared(t, "odd/tcpdump_e1000g_solaris-ipnet-ping.pcap"), ""},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			t.Parallel()
			var packets int64
			measure := func(jobs int, whole bool) string {
				opt := Options{Files: []string{c.file}, Jobs: jobs, whole: whole}
				if !whole {
					opt.Packets = func(n int64) { packets = n }
				}
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
			split, whole := measure(3, false), measure(1, true)
			if split != whole {
				t.Errorf("3 ranges differ from one tshark:\n%s", testutil.Diff(whole, split))
			}
			// The reads of the first two ranges end at their last packet;
			// the last range's counts them all.
			if want := capinfosPackets(t, c.file); packets != want {
				t.Errorf("packets told %d, the capture has %d", packets, want)
			}
		})
	}
}

// TestRangesOneJobTakenInOrder: with --jobs 1 the ranges run one after
// another, so each gives its rows to the collector as they come, none
// spilled, and the node is still the one one tshark gives.
func TestRangesOneJobTakenInOrder(t *testing.T) {
	testutil.Tshark(t)
	file := testutil.Testdata("icmp", "synth-node.pcap")
	oldMax, oldMin := shardPackets, minShardPackets
	t.Cleanup(func() { shardPackets, minShardPackets = oldMax, oldMin })
	shardPackets, minShardPackets = capinfosPackets(t, file)/3+1, 0
	measure := func(whole bool) string {
		res, err := Run(context.Background(), Options{Files: []string{file}, Jobs: 1, whole: whole})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(res, "", " ")
		return string(b)
	}
	before := spilledRanges.Load()
	split := measure(false)
	if n := spilledRanges.Load() - before; n != 0 {
		t.Errorf("%d ranges spilled at --jobs 1, want none", n)
	}
	if whole := measure(true); split != whole {
		t.Errorf("3 ranges one after another differ from one tshark:\n%s", testutil.Diff(whole, split))
	}
}
