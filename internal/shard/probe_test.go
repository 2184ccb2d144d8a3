package shard

import (
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestProbeFile: the raw-byte probe finds the TLS ClientHellos and HTTP/2
// prefaces of the project's recorded captures (truth: their recorder's
// connections), and nothing in a cleartext HTTP/1 capture, which is what
// lets the HTTP/2 pass be skipped there.
func TestProbeFile(t *testing.T) {
	tests := []struct {
		file             string
		hellos, prefaces int
	}{
		{filepath.Join(testutil.Testdata("h2"), "https2-v4.pcapng"), 2, 0},
		{filepath.Join(testutil.Testdata("h2"), "https1-v4-8443.pcapng"), 3, 0},
		{filepath.Join(testutil.Testdata("h2"), "h2c-prior-v4-50051.pcapng"), 0, 2},
		{filepath.Join(testutil.Testdata("h2"), "h2c-upgrade-v6.pcapng"), 0, 2},
		{filepath.Join(testutil.Testdata("http"), "keepalive-v4.pcapng"), 0, 0},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			pr, err := ProbeFile(context.Background(), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if pr.ClientHellos != tc.hellos || pr.H2Prefaces != tc.prefaces || len(pr.QUIC) != 0 {
				t.Errorf("probe %+v, want %d ClientHellos, %d prefaces, no QUIC", pr, tc.hellos, tc.prefaces)
			}
		})
	}
}

// TestProbeQUIC: QUIC connections are counted by server from their
// clients' Initial packets, once per client/server pair whichever way the
// packets go; a short-header packet and a version negotiation are not
// connections of their own, and neither are a DNS query whose id looks
// like a long header or a datagram too short for a client's Initial.
func TestProbeQUIC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quic.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(65535, layers.LinkTypeRaw)
	initial := make([]byte, 1200)
	copy(initial, []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	dns := make([]byte, 1200) // a query id that looks like a long header
	copy(dns, []byte{0xc3, 0x12, 1, 0, 0, 1, 0, 0})
	for _, p := range []struct {
		src, dst string
		payload  []byte
	}{
		{"10.0.0.1:50000", "10.0.0.9:443", initial},
		{"10.0.0.9:443", "10.0.0.1:50000", initial},                           // the server's Initial
		{"10.0.0.1:50000", "10.0.0.9:443", []byte{0x40, 1, 2, 3, 4, 5, 6, 7}}, // short header
		{"10.0.0.2:50001", "10.0.0.9:443", initial},
		{"10.0.0.2:50002", "10.0.0.8:443", append([]byte{0xc0, 0, 0, 0, 0, 8, 1, 2}, initial[8:]...)}, // version negotiation
		{"10.0.0.2:50003", "10.0.0.8:443", initial[:1000]},                                            // too short for a client's Initial
	} {
		b := udp4(netip.MustParseAddrPort(p.src), netip.MustParseAddrPort(p.dst), p.payload)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(b), Length: len(b)}, b)
	}
	f.Close()
	pr, err := ProbeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.QUIC) != 1 || pr.QUIC[netip.MustParseAddrPort("10.0.0.9:443")] != 2 {
		t.Errorf("QUIC %v, want 2 connections to 10.0.0.9:443", pr.QUIC)
	}
}

func udp4(src, dst netip.AddrPort, payload []byte) []byte {
	b := make([]byte, 28+len(payload))
	b[0], b[9] = 0x45, 17
	copy(b[12:], src.Addr().AsSlice())
	copy(b[16:], dst.Addr().AsSlice())
	b[20], b[21] = byte(src.Port()>>8), byte(src.Port())
	b[22], b[23] = byte(dst.Port()>>8), byte(dst.Port())
	copy(b[28:], payload)
	return b
}

// FuzzProbePacket: the probe reads raw packets from outside; none makes it
// panic, and a QUIC count always has a server address.
func FuzzProbePacket(f *testing.F) {
	f.Add([]byte{})
	f.Add(udp4(netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:443"), append([]byte{0xc3, 0, 0, 0, 1, 8, 1}, make([]byte, 1200)...)))
	f.Add([]byte{0x60, 0, 0, 0, 0, 20, 0, 64})
	f.Fuzz(func(t *testing.T, b []byte) {
		pr := Probe{QUIC: map[netip.AddrPort]int{}}
		pr.packet(b, map[[2]netip.AddrPort]bool{})
		for s := range pr.QUIC {
			if !s.IsValid() {
				t.Fatalf("QUIC server without an address: %v", pr.QUIC)
			}
		}
	})
}

// TestSplitProbingMatchesProbeFile: the probe a split fills in its own
// read (what lets pcapmeter http read the file once instead of twice) is
// ProbeFile's on every capture the split reads to its end: the project's
// TLS, h2c and QUIC captures and every shared one, all link types. A
// split that fails leaves its probe unused, and the test only says so.
func TestSplitProbingMatchesProbeFile(t *testing.T) {
	var files []string
	for _, glob := range []string{"h2/*.pcap*", "http/*.pcap*", "tls/*.pcap*"} {
		m, _ := filepath.Glob(testutil.Testdata(glob))
		files = append(files, m...)
	}
	shared := testutil.Shared(t, "")
	for _, glob := range []string{"*/*.pcap*", "*/*.cap", "*/*/*.pcap*"} {
		m, _ := filepath.Glob(filepath.Join(shared, glob))
		files = append(files, m...)
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		return !strings.HasSuffix(f, ".pcap") && !strings.HasSuffix(f, ".pcapng") && !strings.HasSuffix(f, ".cap") && !strings.HasSuffix(f, ".pcap.gz")
	})
	if len(files) < 20 {
		t.Fatalf("only %d captures found", len(files))
	}
	found := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, werr := ProbeFile(context.Background(), file)
			for _, k := range []int{1, 2} {
				outs := map[int]*Out{}
				for id := range k {
					outs[id] = &Out{W: io.Discard, Thin: true}
				}
				var got Probe
				if _, err := SplitProbing(context.Background(), file, k, outs, nil, &got); err != nil {
					t.Logf("k=%d: split fails (%v): its probe is not used", k, err)
					continue
				}
				if werr != nil {
					t.Fatalf("k=%d: the split read the file but ProbeFile failed: %v", k, werr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("k=%d: split's probe %+v, ProbeFile's %+v", k, got, want)
				}
				if k == 1 && (got.ClientHellos > 0 || got.H2Prefaces > 0 || len(got.QUIC) > 0) {
					found++
				}
			}
		})
	}
	if found < 3 {
		t.Errorf("only %d captures with something to probe were compared", found)
	}
}
