// Package synth writes deterministic synthetic HTTP/1.1 captures with exact
// ground truth. It exists because some cases a test must cover cannot be
// produced on demand with real traffic on loopback (packet loss and
// retransmission, reordering, a capture that drops a whole response, a
// mirror that loses segments, a lost SYN/ACK), and because benchmarks need
// captures of a million packets made in seconds.
//
// By default the capture point is the client's host: segments the client
// sends are always captured (a lost one appears twice, original and
// retransmission); a server segment lost on the way is absent and its
// retransmission appears later. Config.Tap moves the capture point along
// the path, Config.CaptureLoss and Config.Events make the capture itself
// miss packets (which nobody retransmits), Config.Encap wraps every frame
// the way a GRE or ERSPAN mirror delivers it. Every timestamp, sequence
// number and byte is a function of the Config, so the same Config always
// gives the same file; fields added later are zero in older
// configurations, which therefore still give the same bytes.
package synth

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Config describes a synthetic capture.
type Config struct {
	Seed    uint64
	Conns   int // TCP connections
	PerConn int // HTTP exchanges per connection
	// Dist is the server delay distribution: "exp", "lognormal", "uniform"
	// or "const", with mean Mean (lognormal: median Mean, sigma 0.5;
	// uniform: 0.5–1.5 × Mean).
	Dist string
	Mean time.Duration
	// RTT is the client–server round trip time.
	RTT time.Duration
	// BodyMin and BodyMax bound the response body size in bytes.
	BodyMin, BodyMax int
	// Pipeline > 1 sends requests in back-to-back batches of that size.
	Pipeline int
	IPv6     bool
	Port     uint16
	MSS      int
	// Loss is the probability that a data segment is lost once.
	Loss float64
	// Reorder is the probability that a server segment arrives after the
	// one that follows it.
	Reorder float64
	// GapEvery > 0 removes every GapEvery-th response of a connection from
	// the capture entirely (a capture drop): its request is unanswered.
	GapEvery int
	// PCAPNG selects pcapng output; otherwise pcap with ns timestamps.
	PCAPNG bool
	// Start is the time of the first packet.
	Start time.Time

	// Detail adds to the truth what a report must say about every
	// exchange (frames, bytes the capture lacks, verdict and reason,
	// ambiguity) and every connection's handshake (Truth.Connections).
	Detail bool `json:",omitempty"`
	// Events script impairments of single exchanges and handshakes.
	Events []Event `json:",omitempty"`
	// CaptureLoss is the probability that the capture misses a data
	// segment or a pure ACK, in either direction (a SYN, FIN or RST, and
	// the handshake's ACK, are always kept). Nothing is retransmitted:
	// the receiver got the packet, only the capture did not.
	CaptureLoss float64 `json:",omitempty"`
	// Encap wraps every frame as a mirror delivers it: "gre" (GRE with
	// transparent Ethernet bridging), "erspan2" or "erspan3"; "" none.
	Encap string `json:",omitempty"`
	// Tap is where the capture point sits on every path, from 0 (the
	// client's host) to 1 (the server's host).
	Tap float64 `json:",omitempty"`
	// LossAfterTap puts network losses between the capture point and the
	// receiver, so the lost packet is captured too. Only for 0 < Tap < 1:
	// at a host the only possible place is used (a sender's own packets
	// are captured before the network can lose them).
	LossAfterTap bool `json:",omitempty"`
	// SynRTO and SynAckRTO are the initial retransmission timeouts of the
	// client's SYN and the server's SYN/ACK (default 1 s), doubling on
	// each retry. A server also answers a repeated SYN at once.
	SynRTO    time.Duration `json:",omitempty"`
	SynAckRTO time.Duration `json:",omitempty"`
	// ReqPad adds an X-Pad header of this many bytes to every request,
	// so that a request can span several segments.
	ReqPad int `json:",omitempty"`
	// StopAfter ends the capture this long after Start (0: it sees
	// everything). Exchanges whose request starts later are not in the
	// truth.
	StopAfter time.Duration `json:",omitempty"`
}

// Default returns a small, sensible configuration.
func Default() Config {
	return Config{
		Seed: 1, Conns: 4, PerConn: 25, Dist: "lognormal", Mean: 20 * time.Millisecond,
		RTT: 2 * time.Millisecond, BodyMin: 200, BodyMax: 5000, Pipeline: 1, Port: 80, MSS: 1460,
		PCAPNG: true, Start: time.Unix(1700000000, 0).UTC(),
	}
}

// Exchange is the truth about one request. The fields after Retransmit
// are filled only with Config.Detail (see TRUTH.md for their meaning).
type Exchange struct {
	Conn       int    `json:"conn"`
	Index      int    `json:"index"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Method     string `json:"method"`
	URI        string `json:"uri"`
	Status     int    `json:"status"`      // 0: the capture lacks the status line
	LostInGap  bool   `json:"lost_in_gap"` // the whole response was dropped from the capture
	DelayNS    int64  `json:"delay_ns"`
	ReqFirst   int64  `json:"req_first_ns"` // Unix ns at the capture point
	ReqLast    int64  `json:"req_last_ns"`
	RespFirst  int64  `json:"resp_first_ns"`
	RespLast   int64  `json:"resp_last_ns"`
	BodyBytes  int    `json:"body_bytes"`
	Retransmit int    `json:"retransmitted_segments"`

	Batch             int    `json:"batch,omitempty"`
	ReqSeq            uint32 `json:"req_seq,omitempty"`
	ReqLen            int    `json:"req_len,omitempty"`
	RespSeq           uint32 `json:"resp_seq,omitempty"`
	RespLen           int    `json:"resp_len,omitempty"`
	ReqFirstFrame     int    `json:"req_first_frame,omitempty"`
	ReqFrame          int    `json:"req_frame,omitempty"`
	RespFirstFrame    int    `json:"resp_first_frame,omitempty"`
	RespFrame         int    `json:"resp_frame,omitempty"`
	ReqMissing        int    `json:"req_bytes_missing,omitempty"`
	RespMissing       int    `json:"resp_bytes_missing,omitempty"`
	RespSegments      []int  `json:"resp_frames,omitempty"`
	Expect            string `json:"expect,omitempty"`
	Reason            string `json:"reason,omitempty"`
	TTLBUnknown       bool   `json:"ttlb_unknown,omitempty"`
	RespLastBound     int64  `json:"resp_last_bound_ns,omitempty"`
	ServerTimeUnknown bool   `json:"server_time_unknown,omitempty"`
	Ambiguous         bool   `json:"ambiguous,omitempty"`
}

// TTFB, TTLB and Server give the truth latencies in seconds.
func (e Exchange) TTFB() float64 { return float64(e.RespFirst-e.ReqFirst) / 1e9 }

// TTLB is request first byte to response last byte, seconds.
func (e Exchange) TTLB() float64 { return float64(e.RespLast-e.ReqFirst) / 1e9 }

// ServerTime is request last byte to response first byte, seconds.
func (e Exchange) ServerTime() float64 { return float64(e.RespFirst-e.ReqLast) / 1e9 }

// Truth is everything a test needs to check an analysis of the capture.
type Truth struct {
	Config        Config     `json:"config"`
	Packets       int        `json:"packets"`
	Retransmitted int        `json:"retransmitted_segments"`
	Exchanges     []Exchange `json:"exchanges"`
	// Connections is filled with Config.Detail.
	Connections []Conn `json:"connections,omitempty"`
}

// Conn is the truth about one connection (Config.Detail). Times are in
// ns at the capture point; a pointer is nil when the capture cannot show
// that figure.
type Conn struct {
	Conn   int    `json:"conn"`
	Stream int    `json:"tcp_stream"` // tshark's tcp.stream: order of first captured packet
	Client string `json:"client"`
	Server string `json:"server"`
	// SYNsSent and SYNACKsSent count every copy sent, captured or not.
	SYNsSent     int   `json:"syns_sent"`
	SYNACKsSent  int   `json:"synacks_sent"`
	SYNFrames    []int `json:"syn_frames"`
	SYNACKFrames []int `json:"synack_frames"`
	ACKFrame     int   `json:"ack_frame"`
	// SYNToSYNACK pairs the last captured SYN the server answered with
	// its answer; SYNACKToACK the SYN/ACK the client answered with its
	// ACK. HandshakeRTT is their sum: the exchange that completed, with
	// no retransmission timeout in it.
	SYNToSYNACK  *int64 `json:"syn_to_synack_ns"`
	SYNACKToACK  *int64 `json:"synack_to_ack_ns"`
	HandshakeRTT *int64 `json:"handshake_rtt_ns"`
	// Connect is the first SYN to the ACK, timeouts included.
	Connect    int64 `json:"connect_ns"`
	PathRTT    int64 `json:"path_rtt_ns"` // the configured RTT
	Exchanges  int   `json:"exchanges"`
	ClientGaps int   `json:"client_gaps"` // runs of client bytes the capture never holds
	ServerGaps int   `json:"server_gaps"`
	// FilledHoles counts server segments lost before the capture point
	// whose retransmission the capture holds.
	FilledHoles int    `json:"filled_holes"`
	End         string `json:"end"` // fin, reset or open (the capture ended first)
}

type pkt struct {
	t        int64 // ns
	conn     int
	order    int // tie-break, in generation order
	fromCli  bool
	seq, ack uint32
	flags    uint8
	payload  []byte // nil for a run of filler bytes of length n
	n        int
	// dropped: the capture misses this packet; keep: capture loss never
	// applies to it.
	dropped, keep bool
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
)

type gen struct {
	cfg  Config
	r    *rand.Rand
	r2   *rand.Rand // capture loss: its own stream, so older configs draw as before
	pkts []pkt
	tr   *Truth
	seq  int
	// shift moves client-host times to the capture point on the current
	// connection.
	shift int64
	ix    eventIndex
	meta  []exMeta // parallel to tr.Exchanges
	conns []*connMeta
}

func (g *gen) add(p pkt) int {
	if p.fromCli {
		p.t += g.shift
	} else {
		p.t -= g.shift
	}
	if g.cfg.CaptureLoss > 0 && !p.keep && p.flags&(fSYN|fFIN|fRST) == 0 && g.r2.Float64() < g.cfg.CaptureLoss {
		p.dropped = true
	}
	p.order = g.seq
	g.seq++
	g.pkts = append(g.pkts, p)
	return p.order
}

func (g *gen) delay() time.Duration {
	m := float64(g.cfg.Mean)
	var d float64
	switch g.cfg.Dist {
	case "exp":
		d = g.r.ExpFloat64() * m
	case "uniform":
		d = m * (0.5 + g.r.Float64())
	case "const":
		d = m
	default:
		d = m * math.Exp(0.5*g.r.NormFloat64())
	}
	return time.Duration(d).Round(time.Microsecond)
}

// Generate writes the capture to w and returns its truth.
func Generate(cfg Config, w io.Writer) (*Truth, error) {
	if cfg.Conns < 1 || cfg.PerConn < 0 || cfg.MSS < 100 || cfg.BodyMin < 0 || cfg.BodyMax < cfg.BodyMin ||
		cfg.Tap < 0 || cfg.Tap > 1 || cfg.CaptureLoss < 0 || cfg.CaptureLoss >= 1 || cfg.ReqPad < 0 {
		return nil, fmt.Errorf("synth: bad config %+v", cfg)
	}
	switch cfg.Encap {
	case "", "gre", "erspan2", "erspan3":
	default:
		return nil, fmt.Errorf("synth: unknown encapsulation %q: want gre, erspan2 or erspan3", cfg.Encap)
	}
	if cfg.Pipeline < 1 {
		cfg.Pipeline = 1
	}
	if cfg.Port == 0 {
		cfg.Port = 80
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), r2: rand.New(rand.NewPCG(cfg.Seed, 0xcab1e)),
		tr: &Truth{Config: cfg}, ix: indexEvents(cfg.Events)}
	for c := 0; c < cfg.Conns; c++ {
		g.conn(c)
	}
	captured := g.finish()
	return g.tr, g.write(w, captured)
}

func (g *gen) addrs(c int) (cli, srv netip.AddrPort) {
	if g.cfg.IPv6 {
		cli = netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf("fd00::1:%x", c/50000+1)), uint16(10000+c%50000))
		srv = netip.AddrPortFrom(netip.MustParseAddr("fd00::80"), g.cfg.Port)
	} else {
		cli = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(c / 50000), 1 + byte(c/50000/256)}), uint16(10000+c%50000))
		srv = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 80}), g.cfg.Port)
	}
	return
}
