package tracesum

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func summarize(t *testing.T, file string) *Summary {
	t.Helper()
	testutil.Tshark(t)
	s, err := Run(context.Background(), Options{File: file})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

// TestAgainstCapinfos compares packets, bytes and duration with capinfos,
// which reads the file without dissecting it.
func TestAgainstCapinfos(t *testing.T) {
	t.Parallel()
	files := []string{
		"http/wireshark_http.cap", "http/zeek_1000-requests-one-dropped-response.pcap", "http/sanders_http_espn.pcapng",
		"tcp/zeek_iso-download_loopback.pcap.gz", "odd/suricata_http-mime-truncated.pcap", "odd/arkime_empty.pcap",
		"odd/zeek_http-vlan-0.pcap", "odd/ndpi_quickplay_sll-http.pcap", "odd/zeek_linux_dlt_sll2_ping.pcap",
		"odd/arkime_80211http_radiotap.pcap", "odd/tcpdump_e1000g_solaris-ipnet-ping.pcap", "icmp/nssa220/Node1.pcap",
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			againstCapinfos(t, rel)
		})
	}
}

// againstCapinfos is TestAgainstCapinfos for one shared capture.
func againstCapinfos(t *testing.T, rel string) {
	path := testutil.Shared(t, rel)
	out, _ := exec.Command("capinfos", "-T", "-m", "-r", "-c", "-d", "-u", path).Output()
	f := strings.Split(strings.TrimSpace(string(out)), ",")
	if len(f) != 4 {
		t.Fatalf("capinfos %s: %q", rel, out)
	}
	pk, _ := strconv.Atoi(f[1])
	by, _ := strconv.ParseInt(f[2], 10, 64)
	s := summarize(t, path)
	if s.Packets != pk || s.Bytes != by {
		t.Errorf("%s: %d packets %d bytes; capinfos %d, %d", rel, s.Packets, s.Bytes, pk, by)
	}
	if f[3] != "n/a" {
		d, _ := strconv.ParseFloat(f[3], 64)
		if math.Abs(s.Duration-d) > 1e-6 {
			t.Errorf("%s: duration %.6f, capinfos %.6f", rel, s.Duration, d)
		}
	}
	if s.Partial != strings.Contains(rel, "truncated") {
		t.Errorf("%s: partial = %v", rel, s.Partial)
	}
}

func TestKnownContent(t *testing.T) {
	t.Parallel()
	// The classic http.cap: SYN at 0, the handshake's ACK 0.911310 s later.
	s := summarize(t, testutil.Shared(t, "http/wireshark_http.cap"))
	if s.HTTP.Requests != 2 || s.HTTP.Responses != 2 || s.TCP.Connections != 2 || s.TCP.WithHandshake != 1 ||
		math.Abs(s.TCP.HandshakeRTT-0.911310) > 1e-9 || s.TCP.Retransmissions != 1 || s.LinkType != "Ethernet" {
		t.Errorf("http.cap: %+v %+v", s.TCP, s.HTTP)
	}
	if s.Protocols[0].Protocol != "tcp" || s.Talkers[0].Packets != 34 {
		t.Errorf("mix %+v, talkers %+v", s.Protocols[0], s.Talkers[0])
	}
	// Outer ICMP type only: 27 echo requests, not 51.
	s = summarize(t, testutil.Shared(t, "icmp/misc/sanders_icmp_traceroute.pcapng"))
	if s.ICMP.EchoRequests != 27 || s.ICMP.EchoReplies != 3 {
		t.Errorf("traceroute: %+v", s.ICMP)
	}
	var icmp int
	for _, p := range s.Protocols {
		if p.Protocol == "icmp" {
			icmp = p.Packets
		}
	}
	if icmp != 54 {
		t.Errorf("traceroute: %d ICMP packets, want all 54", icmp)
	}
	s = summarize(t, testutil.Shared(t, "icmp/misc/zeek_icmp6-ping.pcap"))
	if s.ICMP.EchoRequests != 4 || s.ICMP.EchoReplies != 4 {
		t.Errorf("icmpv6: %+v", s.ICMP)
	}
}

// TestSyntheticSummary: packet counts, sizes and gaps computed from the
// synthetic writer's own output must match.
func TestSyntheticSummary(t *testing.T) {
	t.Parallel()
	path := testutil.Testdata("http", "synth-gaps-v6.pcap")
	var truth synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &truth)
	s := summarize(t, path)
	if s.Packets != truth.Packets || s.TCP.Connections != truth.Config.Conns || s.Capture.Format != "pcap" {
		t.Errorf("%d packets, %d connections; truth %d, %d", s.Packets, s.TCP.Connections, truth.Packets, truth.Config.Conns)
	}
	if s.HTTP.Requests != len(truth.Exchanges) || len(s.Sizes) != s.Packets || len(s.Gaps) != s.Packets-1 {
		t.Errorf("http %d, samples %d/%d", s.HTTP.Requests, len(s.Sizes), len(s.Gaps))
	}
	var sum float64
	for _, g := range s.Gaps {
		sum += g
	}
	if math.Abs(sum-s.Duration) > 1e-6 {
		t.Errorf("gaps add up to %v, duration %v", sum, s.Duration)
	}
}

// TestHandshakeRetransmitted: SYN/ACKs resent after 3 s do not enter the
// handshake RTT; the median is the truth's, the figure `pcapmeter tcp`
// reports for the same file. Alone, the connection whose SYN/ACK was
// resent once (tcp.stream 1) must give 0.37 s, not tshark's 3.37 s.
func TestHandshakeRetransmitted(t *testing.T) {
	t.Parallel()
	path := testutil.Testdata("tcp", "synth-handshake-server.pcapng")
	var truth synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &truth)
	s := summarize(t, path)
	if s.TCP.WithHandshake != len(truth.Connections) || math.Abs(s.TCP.HandshakeRTT-float64(*truth.Connections[0].HandshakeRTT)/1e9) > 1e-9 {
		t.Errorf("handshake RTT median %v over %d, truth %v over %d", s.TCP.HandshakeRTT, s.TCP.WithHandshake, *truth.Connections[0].HandshakeRTT, len(truth.Connections))
	}
	one := filepath.Join(t.TempDir(), "stream1.pcapng")
	if out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.stream == 1", "-w", one).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s = summarize(t, one)
	if want := float64(*truth.Connections[1].HandshakeRTT) / 1e9; s.TCP.WithHandshake != 1 || math.Abs(s.TCP.HandshakeRTT-want) > 1e-9 {
		t.Errorf("stream 1: handshake RTT %v over %d, truth %v", s.TCP.HandshakeRTT, s.TCP.WithHandshake, want)
	}
}
