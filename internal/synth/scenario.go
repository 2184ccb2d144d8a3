package synth

import (
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Scenario is a named capture of imperfect-capture cases with exact
// truth: one class of trouble each, small enough for a test (tens to a
// few hundred packets), reproducible from its name.
type Scenario struct {
	Name  string
	File  string // under testdata/
	About string
	HTTP  *Config
	ICMP  *ICMPConfig
}

// Generate writes the scenario's capture and returns its truth (*Truth or
// *ICMPTruth).
func (s Scenario) Generate(w io.Writer) (any, error) {
	if s.ICMP != nil {
		return GenerateICMP(*s.ICMP, w)
	}
	return Generate(*s.HTTP, w)
}

// FindScenario returns the scenario called name.
func FindScenario(name string) (Scenario, error) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q", name)
}

func detailed(seed uint64, conns, perConn int) Config {
	c := Default()
	c.Seed, c.Conns, c.PerConn, c.Detail = seed, conns, perConn, true
	return c
}

func ev(kind EventKind, conn, index, seg, n int) Event {
	return Event{Kind: kind, Conn: conn, Index: index, Seg: seg, N: n}
}

// Scenarios lists every scenario, in the order make-testdata writes them.
func Scenarios() []Scenario {
	var out []Scenario
	add := func(name, file, about string, c Config) {
		out = append(out, Scenario{Name: name, File: file, About: about, HTTP: &c})
	}

	c := detailed(41, 3, 6)
	c.BodyMin, c.BodyMax = 3000, 9000
	c.Events = []Event{
		ev(RespSegDrop, 0, 1, 2, 1), ev(RespSegDrop, 0, 4, 1, 2), ev(RespSegDrop, 0, 5, -1, 1),
		ev(RespSegDrop, 1, 2, -1, 1), ev(RespSegDrop, 1, 3, 1, 1),
		ev(RespSegDrop, 2, 0, 3, 1), ev(RespSegDrop, 2, 2, 1, 3),
	}
	add("body-gaps", "http/synth-body-gaps.pcapng",
		"responses whose status line is captured but whose body has bytes the capture never holds (middle, last segment, several segments)", c)

	c = detailed(42, 2, 7)
	c.ReqPad = 1600 // two segments per request
	c.Events = []Event{ev(ReqDrop, 0, 2, 0, 0), ev(ReqSegDrop, 1, 1, 1, 1), ev(ReqSegDrop, 1, 4, 0, 1)}
	add("client-gaps", "http/synth-client-gaps.pcapng",
		"request bytes the capture never holds, then more requests on the same connection: a whole request, a request's tail, a request's first line", c)

	mirror := detailed(243, 3, 8)
	mirror.BodyMin, mirror.BodyMax = 500, 8000
	mirror.CaptureLoss = 0.1
	mirror.Events = []Event{ev(RespSegDrop, 0, 3, 0, 1), ev(RespSegDrop, 2, 5, 0, 1)}
	for _, enc := range []struct{ name, file, encap string }{
		{"mirror-loss", "http/synth-mirror-loss.pcapng", ""},
		{"mirror-gre", "http/synth-mirror-gre.pcap", "gre"},
		{"mirror-erspan2", "http/synth-mirror-erspan2.pcapng", "erspan2"},
		{"mirror-erspan3", "http/synth-mirror-erspan3.pcapng", "erspan3"},
	} {
		c = mirror
		c.Encap = enc.encap
		c.PCAPNG = enc.file[len(enc.file)-1] == 'g'
		about := "a lossy SPAN mirror: 10% of data segments and ACKs missing in both directions, responses whose status line is missing"
		if enc.encap != "" {
			about = "the same traffic as synth-mirror-loss, delivered " + map[string]string{
				"gre": "through GRE (transparent Ethernet bridging)", "erspan2": "as ERSPAN type II", "erspan3": "as ERSPAN type III"}[enc.encap]
		}
		add(enc.name, enc.file, about, c)
	}

	c = detailed(44, 2, 8)
	c.BodyMin, c.BodyMax = 4000, 7000
	c.Events = []Event{
		ev(RespSegLost, 0, 1, 1, 1), ev(RespSegDrop, 0, 3, 2, 1), ev(RespSegLost, 0, 5, 0, 1), ev(RespDrop, 0, 6, 0, 0),
		ev(RespSegDrop, 1, 1, 1, 1), ev(RespSegLost, 1, 3, 2, 1), ev(RespSegLost, 1, 5, 1, 1), ev(RespSegDrop, 1, 5, 3, 1),
	}
	add("gap-and-hole", "http/synth-gap-and-hole.pcapng",
		"connections with both gaps the capture never fills and holes a retransmission fills, in either order and in one response", c)

	c = detailed(45, 3, 12)
	c.Pipeline = 4
	c.BodyMin, c.BodyMax = 300, 3000
	c.Events = []Event{
		ev(RespDrop, 0, 5, 0, 0),
		ev(RespDrop, 1, 1, 0, 0), ev(RespDrop, 1, 3, 0, 0), ev(RespSegDrop, 1, 9, 0, 1),
		ev(ReqDrop, 2, 2, 0, 0), ev(RespDrop, 2, 2, 0, 0), ev(ReqDrop, 2, 5, 0, 0), ev(RespDrop, 2, 7, 0, 0),
		ev(RespSegDrop, 2, 9, 1, 1),
	}
	add("pipelined-gaps", "http/synth-pipelined-gaps.pcapng",
		"pipelining (depth 4) across gaps: missing responses decidable by counting, a whole exchange missing (how many is unknowable), a missing request and a missing response in one batch (ambiguous pairing)", c)

	c = detailed(48, 3, 9)
	c.Pipeline = 3
	c.BodyMin, c.BodyMax = 500, 6000
	c.Events = []Event{
		ev(ReqDrop, 0, 3, 0, 0), ev(ReqDrop, 0, 6, 0, 0), ev(RespSegDrop, 0, 6, 0, 1),
		ev(ReqDrop, 1, 3, 0, 0), ev(ReqDrop, 1, 4, 0, 0),
		ev(ReqDrop, 2, 0, 0, 0), ev(ReqDrop, 2, 6, 0, 0),
	}
	add("pipelined-hidden", "http/synth-pipelined-hidden.pcapng",
		"pipelining (depth 3) with the first requests of batches missing from the capture (one, two, the connection's very first, one whose response's status line is missing too): their responses come first in the batch, orphans", c)

	c = detailed(46, 6, 10)
	c.Pipeline = 3
	c.BodyMin, c.BodyMax = 500, 6000
	c.Loss = 0.03
	add("ring", "http/synth-ring.pcapng",
		"6 keep-alive connections, pipelining depth 3, multi-segment bodies, retransmissions: cut it into ring-buffer files", c)

	out = append(out, resetAndEnd())
	out = append(out, handshakes()...)
	out = append(out, Scenario{Name: "icmp-reuse", File: "icmp/synth-reuse.pcap",
		About: "pings whose identifier and sequence number repeat, some unanswered: later replies are ambiguous",
		ICMP:  icmpReuse()})
	return out
}

// resetAndEnd is a connection the server resets with requests
// outstanding, and a capture that ends while a request waits for its
// response.
func resetAndEnd() Scenario {
	c := detailed(47, 2, 5)
	c.Pipeline = 2
	c.Events = []Event{ev(Reset, 0, 2, 0, 0)}
	// End the capture 1 ms after connection 1's last request left, before
	// its response: found by generating once without the end.
	tr, err := Generate(c, io.Discard)
	if err == nil {
		for _, e := range tr.Exchanges {
			if e.Conn == 1 && e.Index == 4 {
				c.StopAfter = time.Duration(e.ReqFirst+1_000_000) - time.Duration(c.Start.UnixNano())
			}
		}
	}
	return Scenario{Name: "reset-end", File: "http/synth-reset-end.pcapng",
		About: "a server reset with two pipelined requests outstanding, and a capture that ends while a request waits", HTTP: &c}
}

func handshakes() []Scenario {
	c := detailed(48, 5, 1)
	c.RTT = 40 * time.Millisecond
	// The server's SYN/ACK timer is a little longer than the client's SYN
	// timer, so a repeated SYN always comes first and is answered at once
	// (equal timers would tie).
	c.SynAckRTO = 1500 * time.Millisecond
	c.Events = []Event{{Kind: SYNLost, Conn: 1, N: 1}, {Kind: SYNLost, Conn: 2, N: 2}, {Kind: SYNACKLost, Conn: 3, N: 1}, {Kind: SYNACKLost, Conn: 4, N: 2}}
	client := Scenario{Name: "handshake-client", File: "tcp/synth-handshake-client.pcapng",
		About: "captured at the client, RTT 40 ms: SYN lost once and twice (1 s, 2 s back-off), SYN/ACK lost once and twice (the repeated SYN is answered)", HTTP: &c}
	s := detailed(49, 4, 1)
	s.RTT = 370 * time.Millisecond
	s.Tap = 1
	s.SynRTO, s.SynAckRTO = 6*time.Second, 3*time.Second
	s.Events = []Event{{Kind: SYNACKLost, Conn: 1, N: 1}, {Kind: SYNACKLost, Conn: 2, N: 2}, {Kind: SYNLost, Conn: 3, N: 1}}
	server := Scenario{Name: "handshake-server", File: "tcp/synth-handshake-server.pcapng",
		About: "captured at the server, RTT 0.37 s: a SYN/ACK resent after 3 s on the server timer; one lost twice, answered again when the SYN is repeated at 6 s; a SYN lost before the capture point", HTTP: &s}
	return []Scenario{client, server}
}

func icmpReuse() *ICMPConfig {
	c := &ICMPConfig{Seed: 51, Node: netip.MustParseAddr("192.168.100.1"), PerPeer: 12, Payload: 56,
		Loss: 0.2, ReuseKey: 1, Interval: time.Second, Detail: true, Start: time.Unix(1700000000, 0).UTC()}
	for i, hops := range []int{0, 1, 3} {
		c.Peers = append(c.Peers, netip.AddrFrom4([4]byte{10, byte(hops), 0, byte(10 + i)}))
		c.Hops = append(c.Hops, hops)
	}
	return c
}
