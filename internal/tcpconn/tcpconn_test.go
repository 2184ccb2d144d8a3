package tcpconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func analyse(t *testing.T, opt Options) *Result {
	t.Helper()
	testutil.Tshark(t)
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatalf("%s: %v", opt.File, err)
	}
	return r
}

func eq(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSandersLatency: three captures of the same fetch, slow for different
// reasons. The figures are read off the frames by hand (tshark -T fields
// -e frame.time_relative): each cause shows in its own metric.
func TestSandersLatency(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file                        string
		synAck, ack, req, firstByte float64
	}{
		// Normal: 30 ms network RTT, server answers in 71 ms.
		{"tcp/sanders_latency1.pcapng", 0.030107, 0.000075, 0.000066, 0.101202 - 0.030248},
		// Network: SYN → SYN/ACK takes 879 ms.
		{"tcp/sanders_latency2.pcapng", 0.878530, 0.016604, 0.000335, 2.066563 - 0.895469},
		// Client: it waits 1.35 s after the handshake before its GET.
		{"tcp/sanders_latency3.pcapng", 0.023790, 0.014894, 1.383707 - 0.038684, 1.446010 - 1.383707},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			k := analyse(t, Options{File: testutil.Shared(t, c.file)}).Connections[0]
			if !k.HasHandshake || !eq(k.SynToSynAck, c.synAck) || !eq(k.SynAckToAck, c.ack) || !eq(k.HandshakeRTT, c.synAck+c.ack) ||
				!eq(k.TsharkIRTT, k.HandshakeRTT) || !eq(k.RequestDelay, c.req) || !eq(k.FirstByte, c.firstByte) {
				t.Errorf("%+v", k)
			}
			if k.Client.String() != "172.16.16.128:1606" || k.Roles != "syn" || k.BytesC2S != 627 || k.BytesS2C != 1406 || k.HTTPRequests != 1 ||
				k.ClientMSS != 1460 || k.ServerMSS != 1406 || k.Ended != "open" {
				t.Errorf("%+v", k)
			}
		})
	}
}

func TestRealTCPEvents(t *testing.T) {
	t.Parallel()
	first := func(ok func(k *Conn) bool) func(*Result) bool {
		return func(r *Result) bool { return ok(r.Connections[0]) }
	}
	cases := []struct {
		name, file string
		port       uint16
		ok         func(*Result) bool
	}{
		{"handshake only", "tcp/sanders_tcp_handshake.pcapng", 0, first(func(k *Conn) bool {
			return k.HasHandshake && !k.HasFirstByte && k.BytesC2S+k.BytesS2C == 0
		})},
		{"no SYN", "tcp/zeek_get_nosyn.pcap", 0, first(func(k *Conn) bool {
			return !k.HasHandshake && k.Roles == "http" && k.Server.Port() == 80 && k.HasFirstByte && k.Ended == "FIN"
		})},
		{"retransmissions", "tcp/sanders_tcp_retransmissions.pcapng", 0, first(func(k *Conn) bool {
			return k.Retransmissions == 5 && k.Roles == "port" && k.Server.Port() == 1043
		})},
		{"zero window", "tcp/sanders_tcp_zerowindowrecovery.pcapng", 0, first(func(k *Conn) bool { return k.ZeroWindows == 1 })},
		{"dup ack", "tcp/sanders_tcp_dupack.pcapng", 0, first(func(k *Conn) bool { return k.DuplicateAcks == 3 && k.FastRetransmissions == 1 })},
		{"bulk", "tcp/zeek_206_example_b_bulk-wan.pcap", 80, func(r *Result) bool {
			return r.Summary.Retransmissions != 0 && r.Summary.Connections == len(r.Connections)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if r := analyse(t, Options{File: testutil.Shared(t, c.file), Port: c.port}); !c.ok(r) {
				t.Errorf("%+v %+v", r.Summary, r.Connections[0])
			}
		})
	}
}

// TestSynthetic: handshake halves are exactly the writer's RTT and its
// 20 µs ACK delay; losses show as retransmissions or out-of-order
// segments; payload bytes add up.
func TestSynthetic(t *testing.T) {
	t.Parallel()
	path := testutil.Testdata("http", "synth-loss-reorder.pcapng")
	var truth synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &truth)
	r := analyse(t, Options{File: path})
	if len(r.Connections) != truth.Config.Conns {
		t.Fatalf("%d connections, truth %d", len(r.Connections), truth.Config.Conns)
	}
	var flagged int
	for _, k := range r.Connections {
		if !k.HasHandshake || !eq(k.SynToSynAck, truth.Config.RTT.Seconds()) || !eq(k.SynAckToAck, 20e-6) || k.Ended != "FIN" {
			t.Errorf("stream %d: %+v", k.Stream, k)
		}
		if k.HTTPRequests != truth.Config.PerConn || k.Server.Port() != truth.Config.Port {
			t.Errorf("stream %d: %d requests", k.Stream, k.HTTPRequests)
		}
		flagged += k.Retransmissions + k.OutOfOrder
	}
	if flagged < truth.Retransmitted {
		t.Errorf("%d segments flagged, truth has %d retransmitted", flagged, truth.Retransmitted)
	}
	one := analyse(t, Options{File: path, HasStream: true, Stream: 2})
	if len(one.Connections) != 1 || one.Connections[0].Stream != 2 {
		t.Errorf("--stream 2: %d connections", len(one.Connections))
	}
	if _, err := Run(context.Background(), Options{File: path, Port: 9}); !errors.Is(err, ErrNoTCP) {
		t.Errorf("port 9: %v", err)
	}
}

// TestGapsFromFirstPrinciples recomputes the gap flags of the bulk WAN
// transfer from tshark's raw fields with the definitions, independently.
func TestGapsFromFirstPrinciples(t *testing.T) {
	t.Parallel()
	path := testutil.Shared(t, "tcp/zeek_206_example_b_bulk-wan.pcap")
	r := analyse(t, Options{File: path, Gaps: true, HasStream: true, Stream: 0})
	k := r.Connections[0]
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "tcp.stream == 0 && tcp.len > 0 && tcp.srcport == "+strconv.Itoa(int(k.Server.Port())),
		"-T", "fields", "-e", "frame.number", "-e", "ip.id", "-e", "tcp.seq", "-e", "tcp.len").Output()
	if err != nil {
		t.Fatal(err)
	}
	type pkt struct {
		frame        int64
		id, seq, len int64
	}
	var ps []pkt
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		var p pkt
		p.frame, _ = strconv.ParseInt(f[0], 10, 64)
		p.id, _ = strconv.ParseInt(strings.TrimPrefix(f[1], "0x"), 16, 64)
		p.seq, _ = strconv.ParseInt(f[2], 10, 64)
		p.len, _ = strconv.ParseInt(f[3], 10, 64)
		ps = append(ps, p)
	}
	if len(ps) != len(k.Gaps) || len(ps) < 100 {
		t.Fatalf("%d server data packets, %d gaps", len(ps), len(k.Gaps))
	}
	var ooo, short, ipid int
	for i := 1; i < len(ps); i++ {
		var want []string
		if ps[i].id != (ps[i-1].id+1)%65536 {
			want = append(want, IPIDGap)
		}
		if ps[i].seq != ps[i-1].seq+ps[i-1].len {
			want = append(want, OutOfOrder)
			ooo++
		}
		if ps[i-1].len < int64(k.GapMSS) {
			want = append(want, LastPacketShort)
			short++
		}
		if len(want) > 0 && want[0] == IPIDGap {
			ipid++
		}
		g := k.Gaps[i]
		if g.Frame != ps[i].frame || !slices.Equal(g.Flags, append([]string{}, want...)) {
			t.Errorf("frame %d: flags %v, want %v", g.Frame, g.Flags, want)
		}
	}
	if ooo == 0 || short == 0 || ipid == 0 || k.GapMSS < 1000 {
		t.Errorf("the capture should exercise every flag: %d ooo, %d short, %d ipid, mss %d (%s)", ooo, short, ipid, k.GapMSS, k.GapMSSSource)
	}
}

// TestHandshakeRetransmitted: with SYNs or SYN/ACKs lost and resent, the
// handshake RTT is the exchange that completed (the truth's halves, no
// timeout in them), the connect time runs from the first SYN, and the
// captured copies are counted as retransmissions. Taps at the client and
// at the server see different halves of the same losses.
func TestHandshakeRetransmitted(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"synth-handshake-client.pcapng", "synth-handshake-server.pcapng"} {
		path := testutil.Testdata("tcp", name)
		var truth synth.Truth
		testutil.ReadJSON(t, path+".truth.json", &truth)
		r := analyse(t, Options{File: path})
		if len(r.Connections) != len(truth.Connections) {
			t.Fatalf("%s: %d connections, truth %d", name, len(r.Connections), len(truth.Connections))
		}
		var resent, timedOut int
		for i, tc := range truth.Connections {
			k := r.Connections[i]
			ns := func(v *int64) float64 { return float64(*v) / 1e9 }
			if tc.HandshakeRTT == nil || !k.HasHandshake || !k.HasSynAck || !eq(k.SynToSynAck, ns(tc.SYNToSYNACK)) ||
				!eq(k.SynAckToAck, ns(tc.SYNACKToACK)) || !eq(k.HandshakeRTT, ns(tc.HandshakeRTT)) {
				t.Errorf("%s stream %d: handshake %v + %v = %v, truth %v", name, k.Stream, k.SynToSynAck, k.SynAckToAck, k.HandshakeRTT, *tc.HandshakeRTT)
			}
			if k.SynRetransmissions != len(tc.SYNFrames)-1 || k.SynAckRetransmissions != len(tc.SYNACKFrames)-1 {
				t.Errorf("%s stream %d: %d SYN and %d SYN/ACK retransmissions, captured frames %v %v",
					name, k.Stream, k.SynRetransmissions, k.SynAckRetransmissions, tc.SYNFrames, tc.SYNACKFrames)
			}
			// The connect time starts at the first SYN the capture holds;
			// the truth's at the first sent, which differ when the tap
			// missed it.
			if len(tc.SYNFrames) == tc.SYNsSent && !eq(k.ConnectTime, float64(tc.Connect)/1e9) {
				t.Errorf("%s stream %d: connect %v, truth %v", name, k.Stream, k.ConnectTime, float64(tc.Connect)/1e9)
			}
			resent += k.SynRetransmissions + k.SynAckRetransmissions
			if tc.Connect > *tc.HandshakeRTT+int64(1e9/2) {
				timedOut++
			}
		}
		if resent == 0 || timedOut == 0 || r.Summary.SynRetransmissions+r.Summary.SynAckRetransmissions != resent {
			t.Errorf("%s: the capture should exercise the retransmissions: %d resent, %d timed out, summary %+v", name, resent, timedOut, r.Summary)
		}
	}
}
