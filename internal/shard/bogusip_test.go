package shard

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestBogusIPv4NotTCP: an IPv4 header whose length fields tshark calls
// bogus (header length under 20, a total length that leaves no whole TCP
// header) gets no tcp.stream from tshark, so the splitter must not call
// it plain TCP: it would number a connection tshark never numbers, and
// every later connection's tcp.stream would be off by one in a split
// export. A total length of 0 is TSO's, which tshark dissects.
func TestBogusIPv4NotTCP(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	good := tcpPacket(t, "10.0.0.1", "10.0.0.2", 1234, 80, true, false, false, 7)
	with := func(ihl byte, tot uint16) []byte {
		b := append([]byte{}, good...)
		b[14] = 0x40 | ihl
		binary.BigEndian.PutUint16(b[16:], tot)
		return b
	}
	v6 := tcpPacket(t, "2001:db8::1", "2001:db8::2", 1234, 80, true, false, false, 7)
	plen := func(n uint16) []byte {
		b := append([]byte{}, v6...)
		binary.BigEndian.PutUint16(b[18:], n)
		return b
	}
	frames := [][]byte{good, with(4, 40), with(5, 10), with(5, 20), with(5, 30), with(5, 35), with(5, 36), with(5, 39), with(5, 0), with(6, 44),
		v6, plen(0), plen(10), plen(15), plen(16)}
	path := filepath.Join(t.TempDir(), "bogus.pcap")
	if err := os.WriteFile(path, writePcap(t, frames), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-n", "-r", path, "-T", "fields", "-e", "tcp.stream").Output()
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(rows) != len(frames) {
		t.Fatalf("tshark printed %d rows for %d frames", len(rows), len(frames))
	}
	for i, b := range frames {
		p, err := parseTCP(layers.LinkTypeEthernet, b)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if tsharkTCP := rows[i] != ""; p.ok != tsharkTCP {
			t.Errorf("frame %d: splitter plain TCP %v, tshark's tcp.stream %q", i+1, p.ok, rows[i])
		}
	}
}
