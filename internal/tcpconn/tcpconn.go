// Package tcpconn measures every TCP connection of a capture the way
// tcptrace -l and tshark's expert info do, plus the timings a web
// transfer is judged by: handshake halves, time to first and last byte of
// the server's data, goodput, loss and window events, how it ended, and an
// optional inter-packet gap analysis of the server's data (IP ID gaps,
// out-of-order segments, short segments mid-flow). One tshark pass;
// memory grows with connections (and with data packets only for --gaps).
package tcpconn

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Options select what to measure.
type Options struct {
	File   string
	Server netip.Addr
	Port   uint16
	// Stream selects one tshark tcp.stream (when HasStream).
	Stream      int64
	HasStream   bool
	Gaps        bool
	Percentiles []float64
	Tshark      string
}

// Gap is one server data packet in the gap analysis, compared with the
// server data packet before it.
type Gap struct {
	Frame int64 `json:"frame"`
	// Gap is the time since the previous server data packet, seconds.
	Gap float64 `json:"gap"`
	// Offset is the packet's first byte in the server's stream (0 = the
	// first byte after the SYN).
	Offset int64    `json:"offset"`
	Len    int      `json:"len"`
	Flags  []string `json:"flags"`
}

// Gap flags.
const (
	IPIDGap         = "IPID_GAP"          // IP ID is not the previous one + 1
	OutOfOrder      = "OUT_OF_ORDER"      // sequence number is not where the previous packet ended
	LastPacketShort = "LAST_PACKET_SHORT" // the previous packet was shorter than the MSS, mid-flow
)

// Conn is one TCP connection. Times are seconds; a zero duration with its
// Has… flag false means "not seen in the capture".
type Conn struct {
	Stream int64          `json:"tcp_stream"`
	Client netip.AddrPort `json:"client"`
	Server netip.AddrPort `json:"server"`
	// Roles says how client and server were told apart: "syn" (the SYN's
	// sender is the client), "http" (the side sending HTTP requests), or
	// "port" (no SYN nor request seen: the lower port is taken as the
	// server's).
	Roles string  `json:"roles_from"`
	Start string  `json:"start"` // RFC 3339 UTC
	End   string  `json:"end"`
	Dur   float64 `json:"duration"`

	HasHandshake bool    `json:"has_handshake"`
	SynToSynAck  float64 `json:"syn_to_synack"` // SYN → SYN/ACK at the capture point
	SynAckToAck  float64 `json:"synack_to_ack"` // SYN/ACK → ACK
	HandshakeRTT float64 `json:"handshake_rtt"` // the sum: SYN → ACK
	TsharkIRTT   float64 `json:"tshark_initial_rtt"`
	ClientMSS    int     `json:"client_mss"`
	ServerMSS    int     `json:"server_mss"`

	PacketsC2S int   `json:"packets_client_to_server"`
	PacketsS2C int   `json:"packets_server_to_client"`
	BytesC2S   int64 `json:"payload_bytes_client_to_server"`
	BytesS2C   int64 `json:"payload_bytes_server_to_client"`

	// RequestDelay is the client's own delay: handshake ACK → its first
	// data. A slow client shows here, a slow network in the handshake, a
	// slow server in FirstByte.
	HasRequestDelay bool    `json:"has_request_delay"`
	RequestDelay    float64 `json:"request_delay"`

	HasFirstByte bool    `json:"has_first_byte"`
	FirstByte    float64 `json:"time_to_first_byte"` // first client data → first server data after it
	LastByte     float64 `json:"time_to_last_byte"`  // first client data → last server data
	HasGoodput   bool    `json:"has_goodput"`
	Goodput      float64 `json:"goodput_bytes_per_second"` // server→client, unique bytes over the data span

	Retransmissions     int `json:"retransmissions"`
	FastRetransmissions int `json:"fast_retransmissions"`
	OutOfOrder          int `json:"out_of_order"`
	LostSegments        int `json:"lost_segments"`
	DuplicateAcks       int `json:"duplicate_acks"`
	ZeroWindows         int `json:"zero_window_events"`
	// Ended is "FIN" (both sides), "FIN by client", "FIN by server",
	// "RST by client", "RST by server", or "open".
	Ended        string `json:"ended"`
	HTTPRequests int    `json:"http_requests"`
	// MSS used by the gap analysis, and where it came from.
	GapMSS       int    `json:"gap_mss,omitempty"`
	GapMSSSource string `json:"gap_mss_from,omitempty"`
	Gaps         []Gap  `json:"gaps,omitempty"`

	start, end parse.Time
}

// Dist summarises one metric across connections (only those where it is
// defined), with nearest-rank percentiles.
type Dist struct {
	stats.Summary
}

// Summary is the across-connections view.
type Summary struct {
	Connections     int   `json:"connections"`
	HandshakeRTT    Dist  `json:"handshake_rtt"`
	FirstByte       Dist  `json:"time_to_first_byte"`
	Duration        Dist  `json:"duration"`
	Goodput         Dist  `json:"goodput_bytes_per_second"`
	Retransmissions int   `json:"retransmissions"`
	LostSegments    int   `json:"lost_segments"`
	Bytes           int64 `json:"payload_bytes"`
}

// Result is the whole analysis.
type Result struct {
	File        string  `json:"file"`
	Connections []*Conn `json:"connections"`
	Summary     Summary `json:"summary"`
	Partial     bool    `json:"partial"`
}

// ErrNoTCP says the selection holds no TCP packet.
var ErrNoTCP = errors.New("no TCP packet")

type dirState struct {
	packets      int
	bytes        int64
	unique       int64
	firstData    parse.Time
	lastData     parse.Time
	hasData      bool
	firstDataSeq uint32
	fin, rst     bool
	synTime      parse.Time
	syn          bool
	mss          int
	maxLen       int
	// gap analysis
	prev    *Segment
	gaps    []Gap
	lastGap int // index of the gap entry of prev
}

type state struct {
	c         Conn
	a         netip.AddrPort // first source seen
	b         netip.AddrPort
	dirs      [2]dirState // 0: from a, 1: from b
	synFrom   int         // -1 unknown
	httpFrom  int
	synAck    parse.Time
	hasSA     bool
	ack       parse.Time
	hasAck    bool
	irtt      float64
	hasIRTT   bool
	firstC    [2]parse.Time // first data time per direction (after which the other side's first data counts)
	dataAfter [2]parse.Time
	hasAfter  [2]bool
}

// Run analyses opt.File.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if opt.Percentiles == nil {
		opt.Percentiles = stats.DefaultPercentiles
	}
	if err := stats.ValidatePercentiles(opt.Percentiles); err != nil {
		return nil, err
	}
	if _, err := capfile.Sniff(opt.File); err != nil {
		return nil, err
	}
	bin, _, err := tshark.Find(ctx, opt.Tshark)
	if err != nil {
		return nil, err
	}
	filter := DisplayFilter
	if sf := tshark.ServerFilter(opt.Server, opt.Port); sf != "" {
		filter += " && " + sf
	}
	if opt.HasStream {
		filter += " && tcp.stream == " + strconv.FormatInt(opt.Stream, 10)
	}
	conns := map[int64]*state{}
	var order []int64
	spec := tshark.Spec{Input: opt.File, Fields: Fields, Mode: tshark.Columns, DisplayFilter: filter}
	partial, err := dissect.Run(ctx, bin, spec, ToSegment, func(s *Segment) error {
		st := conns[s.Stream]
		if st == nil {
			st = &state{synFrom: -1, httpFrom: -1}
			st.c.Stream = s.Stream
			st.a = netip.AddrPortFrom(s.Src, s.SrcPort)
			st.b = netip.AddrPortFrom(s.Dst, s.DstPort)
			st.c.start = s.Time
			conns[s.Stream] = st
			order = append(order, s.Stream)
		}
		st.add(s, opt.Gaps)
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{File: opt.File, Partial: partial}
	slices.Sort(order)
	for _, id := range order {
		c := conns[id].finish()
		// The filter matches either end; --server and --port mean the
		// server's side.
		if (opt.Server.IsValid() && c.Server.Addr() != opt.Server.Unmap()) || (opt.Port != 0 && c.Server.Port() != opt.Port) {
			continue
		}
		res.Connections = append(res.Connections, c)
	}
	if len(res.Connections) == 0 {
		return res, ErrNoTCP
	}
	res.summarize(opt.Percentiles)
	return res, nil
}

func (st *state) add(s *Segment, gaps bool) {
	d := 0
	if netip.AddrPortFrom(s.Src, s.SrcPort) != st.a {
		d = 1
	}
	ds := &st.dirs[d]
	c := &st.c
	c.end = max(c.end, s.Time)
	ds.packets++
	syn, ack := s.Flags&parse.FlagSYN != 0, s.Flags&parse.FlagACK != 0
	if syn {
		if !ds.syn {
			ds.syn, ds.synTime = true, s.Time
		}
		if s.MSS > 0 {
			ds.mss = s.MSS
		}
		if !ack && st.synFrom < 0 {
			st.synFrom = d
		}
		if ack && st.synFrom == 1-d && !st.hasSA {
			st.synAck, st.hasSA = s.Time, true
		}
	} else if ack && st.hasSA && !st.hasAck && d == st.synFrom {
		st.ack, st.hasAck = s.Time, true
	}
	if s.HasRTT && !st.hasIRTT {
		st.irtt, st.hasIRTT = s.InitialRTT, true
	}
	if s.HTTPRequests > 0 {
		c.HTTPRequests += s.HTTPRequests
		if st.httpFrom < 0 {
			st.httpFrom = d
		}
	}
	if s.Flags&parse.FlagFIN != 0 {
		ds.fin = true
	}
	if s.Flags&parse.FlagRST != 0 {
		ds.rst = true
	}
	if s.Retransmission {
		c.Retransmissions++
	}
	if s.FastRetransmission {
		c.FastRetransmissions++
	}
	if s.OutOfOrder {
		c.OutOfOrder++
	}
	if s.LostSegment {
		c.LostSegments++
	}
	if s.DuplicateAck {
		c.DuplicateAcks++
	}
	if s.ZeroWindow {
		c.ZeroWindows++
	}
	if s.Len == 0 {
		return
	}
	ds.bytes += int64(s.Len)
	if !s.Retransmission {
		ds.unique += int64(s.Len)
	}
	ds.maxLen = max(ds.maxLen, s.Len)
	if !ds.hasData {
		ds.hasData, ds.firstData, ds.firstDataSeq = true, s.Time, s.Seq
	}
	ds.lastData = max(ds.lastData, s.Time)
	// First data of this side after the other side's first data: the
	// answer to the first request.
	if other := &st.dirs[1-d]; other.hasData && !st.hasAfter[d] && s.Time >= other.firstData {
		st.dataAfter[d], st.hasAfter[d] = s.Time, true
	}
	if gaps {
		g := Gap{Frame: s.Frame, Offset: int64(s.Seq) - 1, Len: s.Len, Flags: []string{}}
		if p := ds.prev; p != nil {
			g.Gap = s.Time.Sub(p.Time)
			if s.HasIPID && p.HasIPID && s.IPID != p.IPID+1 {
				g.Flags = append(g.Flags, IPIDGap)
			}
			if s.Seq != p.Seq+uint32(p.Len) {
				g.Flags = append(g.Flags, OutOfOrder)
			}
		}
		ds.gaps = append(ds.gaps, g)
		cp := *s
		ds.prev = &cp
	}
}

func (st *state) finish() *Conn {
	c := &st.c
	cl := 0 // direction index of the client
	switch {
	case st.synFrom >= 0:
		cl, c.Roles = st.synFrom, "syn"
	case st.httpFrom >= 0:
		cl, c.Roles = st.httpFrom, "http"
	default:
		c.Roles = "port"
		if st.a.Port() < st.b.Port() {
			cl = 1 // a has the lower port: a is the server
		}
	}
	ends := [2]netip.AddrPort{st.a, st.b}
	c.Client, c.Server = ends[cl], ends[1-cl]
	cd, sd := &st.dirs[cl], &st.dirs[1-cl]
	c.Start, c.End, c.Dur = c.start.RFC3339(), c.end.RFC3339(), c.end.Sub(c.start)
	if cd.syn && st.hasSA && st.synFrom == cl {
		c.SynToSynAck = st.synAck.Sub(cd.synTime)
		if st.hasAck {
			c.HasHandshake = true
			c.SynAckToAck = st.ack.Sub(st.synAck)
			c.HandshakeRTT = c.SynToSynAck + c.SynAckToAck
		}
	}
	if st.hasIRTT {
		c.TsharkIRTT = st.irtt
	}
	c.ClientMSS, c.ServerMSS = cd.mss, sd.mss
	c.PacketsC2S, c.PacketsS2C, c.BytesC2S, c.BytesS2C = cd.packets, sd.packets, cd.bytes, sd.bytes
	if cd.hasData && c.HasHandshake {
		c.HasRequestDelay, c.RequestDelay = true, cd.firstData.Sub(st.ack)
	}
	if cd.hasData && st.hasAfter[1-cl] {
		c.HasFirstByte = true
		c.FirstByte = st.dataAfter[1-cl].Sub(cd.firstData)
		c.LastByte = sd.lastData.Sub(cd.firstData)
	}
	if sd.hasData {
		if span := sd.lastData.Sub(sd.firstData); span > 0 {
			c.HasGoodput, c.Goodput = true, float64(sd.unique)/span
		}
	}
	switch {
	case cd.rst:
		c.Ended = "RST by client"
	case sd.rst:
		c.Ended = "RST by server"
	case cd.fin && sd.fin:
		c.Ended = "FIN"
	case cd.fin:
		c.Ended = "FIN by client"
	case sd.fin:
		c.Ended = "FIN by server"
	default:
		c.Ended = "open"
	}
	if sd.gaps != nil {
		// Segments the server sends are bounded by the MSS the client
		// announced; with segmentation offload (or no SYN) the largest
		// segment seen is the better yardstick.
		c.GapMSS, c.GapMSSSource = cd.mss, "client SYN MSS option"
		if c.GapMSS == 0 || sd.maxLen > c.GapMSS {
			c.GapMSS, c.GapMSSSource = sd.maxLen, "largest server segment"
		}
		for i := 1; i < len(sd.gaps); i++ {
			if sd.gaps[i-1].Len < c.GapMSS {
				sd.gaps[i].Flags = append(sd.gaps[i].Flags, LastPacketShort)
			}
		}
		c.Gaps = sd.gaps
	}
	return c
}

func (r *Result) summarize(ps []float64) {
	var hs, fb, du, gp []float64
	for _, c := range r.Connections {
		if c.HasHandshake {
			hs = append(hs, c.HandshakeRTT)
		}
		if c.HasFirstByte {
			fb = append(fb, c.FirstByte)
		}
		du = append(du, c.Dur)
		if c.HasGoodput {
			gp = append(gp, c.Goodput)
		}
		r.Summary.Retransmissions += c.Retransmissions
		r.Summary.LostSegments += c.LostSegments
		r.Summary.Bytes += c.BytesC2S + c.BytesS2C
	}
	r.Summary.Connections = len(r.Connections)
	r.Summary.HandshakeRTT.Summary, _ = stats.Summarize(hs, ps)
	r.Summary.FirstByte.Summary, _ = stats.Summarize(fb, ps)
	r.Summary.Duration.Summary, _ = stats.Summarize(du, ps)
	r.Summary.Goodput.Summary, _ = stats.Summarize(gp, ps)
}
