// Package tcpconn measures every TCP connection of a capture the way
// tcptrace -l and tshark's expert info do, plus the timings a web
// transfer is judged by: handshake halves, time to first and last byte of
// the server's data, goodput, loss and window events, how it ended, and an
// optional inter-packet gap analysis of the server's data (IP ID gaps,
// out-of-order segments, short segments mid-flow), and the TLS handshake
// of a TLS connection (internal/tlshs; decrypted with key logs when
// given). One tshark pass; memory grows with connections (and with data
// packets only for --gaps).
//
// Like every analysis it is a vertical slice: row.go declares the tshark
// fields it reads and converts each row into its one typed packet, the
// Segment; conn.go accumulates a connection's segments; this file runs the
// pass and summarises across connections.
package tcpconn

import (
	"cmp"
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/handshake"
	"github.com/pcapmeter/pcapmeter/internal/keylog"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
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
	// Jobs is how many tshark processes may run at a time (0 is 1).
	Jobs int
	// KeyLogs are TLS key logs (NSS format) tshark decrypts with, so that
	// the TLS 1.3 server Finished is seen rather than inferred.
	KeyLogs []string
	// Progress, if set, is told how many bytes of the file tshark has
	// read (estimated from its frame numbers) while it runs.
	Progress func(done, total int64)
	// Packets, if set, is told how many packets have been read so far.
	Packets func(n int64)

	prefs []string // tshark preferences (the key log)
	// full (tests only) skips the joined path: the full rows, as when
	// the joined rows cannot serve.
	full bool
	// onFull (tests only) is called when the joined rows could not serve
	// and the capture was read again with the full rows.
	onFull func()
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
	// server's), "tls" (the ClientHello's sender; no SYN nor request).
	Roles string  `json:"roles_from"`
	Start string  `json:"start"` // RFC 3339 UTC
	End   string  `json:"end"`
	Dur   float64 `json:"duration"`

	// The handshake that completed, without retransmission timeouts:
	// SynToSynAck from the last SYN to its SYN/ACK (HasSynAck),
	// SynAckToAck from the SYN/ACK the client acknowledged to that ACK,
	// HandshakeRTT their sum (HasHandshake). ConnectTime runs from the
	// first SYN to the ACK, the timeouts of lost SYNs or SYN/ACKs
	// included, and the Retransmissions count the captured copies.
	HasHandshake          bool    `json:"has_handshake"`
	HasSynAck             bool    `json:"has_syn_to_synack"`
	SynToSynAck           float64 `json:"syn_to_synack"`
	SynAckToAck           float64 `json:"synack_to_ack"`
	HandshakeRTT          float64 `json:"handshake_rtt"`
	ConnectTime           float64 `json:"connect_time"`
	SynRetransmissions    int     `json:"syn_retransmissions"`
	SynAckRetransmissions int     `json:"synack_retransmissions"`
	TsharkIRTT            float64 `json:"tshark_initial_rtt"`
	ClientMSS             int     `json:"client_mss"`
	ServerMSS             int     `json:"server_mss"`

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
	// TLS is the connection's TLS handshake, nil when it carried no TLS
	// record tshark recognised.
	TLS *tlshs.Handshake `json:"tls"`

	start, end parse.Time
}

// Dist summarises one metric across connections (only those where it is
// defined), with nearest-rank percentiles.
type Dist struct {
	stats.Summary
}

// Summary is the across-connections view.
type Summary struct {
	Connections  int  `json:"connections"`
	HandshakeRTT Dist `json:"handshake_rtt"`
	ConnectTime  Dist `json:"connect_time"`
	// SynRetransmissions and SynAckRetransmissions add up the
	// connections' resent SYNs and SYN/ACKs.
	SynRetransmissions    int   `json:"syn_retransmissions"`
	SynAckRetransmissions int   `json:"synack_retransmissions"`
	FirstByte             Dist  `json:"time_to_first_byte"`
	Duration              Dist  `json:"duration"`
	Goodput               Dist  `json:"goodput_bytes_per_second"`
	Retransmissions       int   `json:"retransmissions"`
	LostSegments          int   `json:"lost_segments"`
	Bytes                 int64 `json:"payload_bytes"`
	// TLS sums up the connections' TLS handshakes.
	TLS tlshs.Summary `json:"tls"`
}

// Result is the whole analysis.
type Result struct {
	File        string  `json:"file"`
	Connections []*Conn `json:"connections"`
	Summary     Summary `json:"summary"`
	Partial     bool    `json:"partial"`
	// KeyLog says a key log was given (so that an undecrypted TLS
	// connection means keys missing from it, not no key log).
	KeyLog bool `json:"keylog"`
	// Tshark is the version of the tshark that dissected the capture (its
	// check before the run), for reports that state it.
	Tshark tshark.Version `json:"-"`
}

// collector gathers the connections' segments as they stream by.
type collector struct {
	gaps  bool
	conns map[int64]*state
	order []int64
	// done are the connections finished (close), in no set order.
	done []*Conn
}

func newCollector(gaps bool) *collector {
	return &collector{gaps: gaps, conns: map[int64]*state{}}
}

// add accounts a segment whose Stream and Frame are the whole file's.
func (c *collector) add(s *Segment) {
	st := c.conns[s.Stream]
	if st == nil {
		st = &state{synFrom: -1, httpFrom: -1, hs: handshake.New()}
		st.c.Stream = s.Stream
		st.a = netip.AddrPortFrom(s.Src, s.SrcPort)
		st.b = netip.AddrPortFrom(s.Dst, s.DstPort)
		st.c.start = s.Time
		c.conns[s.Stream] = st
		c.order = append(c.order, s.Stream)
	}
	st.add(s, c.gaps)
}

// close finishes every connection gathered so far, once no segment of
// theirs can come (a shard's tshark is done with them), keeping only the
// Conns of the selection and dropping the states, twice a Conn's size:
// a split capture then holds one shard's states at a time beside the
// finished Conns, not every connection's state until the end.
func (c *collector) close(opt Options) {
	for _, id := range c.order {
		// A copy, so that the state is freed now instead of living on
		// behind the pointer.
		cp := *c.conns[id].finish()
		delete(c.conns, id)
		// Start and End say them now; cleared, a Conn is all in its
		// exported fields, which is what a spill keeps.
		cp.start, cp.end = 0, 0
		// The filter matches either end; --server and --port mean the
		// server's side.
		if (opt.Server.IsValid() && cp.Server.Addr() != opt.Server.Unmap()) || (opt.Port != 0 && cp.Server.Port() != opt.Port) {
			continue
		}
		c.done = append(c.done, &cp)
	}
	c.order = nil
}

// merge takes in another collector's connections (another shard's: no
// stream is in both).
func (c *collector) merge(o *collector) {
	for _, id := range o.order {
		c.conns[id] = o.conns[id]
		c.order = append(c.order, id)
	}
	c.done = append(c.done, o.done...)
}

// filter is the display filter of the selection; stream false leaves
// --stream out (a shard's tshark numbers streams its own way).
func filter(opt Options, stream bool) string {
	f := DisplayFilter
	if sf := tshark.ServerFilter(opt.Server, opt.Port); sf != "" {
		f += " && " + sf
	}
	if opt.HasStream && stream {
		f += " && tcp.stream == " + strconv.FormatInt(opt.Stream, 10)
	}
	return f
}

// dissectOne is the whole file through one tshark.
func dissectOne(ctx context.Context, bin string, opt Options, c *collector) (bool, error) {
	spec := tshark.Spec{Input: opt.File, Fields: Fields, Mode: tshark.Columns, DisplayFilter: filter(opt, true), Prefs: opt.prefs}
	onFrame := shard.FrameProgress(opt.File, opt.Progress, opt.Packets)
	return dissect.Run(ctx, bin, spec, ToSegment, func(s *Segment) error {
		if onFrame != nil {
			onFrame(s.Frame)
		}
		c.add(s)
		return nil
	})
}

// ErrNoTCP says the selection holds no TCP packet.
var ErrNoTCP = errors.New("no TCP packet")

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
	bin, version, err := dissect.Find(ctx, opt.Tshark)
	if err != nil {
		return nil, err
	}
	kl, err := keylog.Open(opt.KeyLogs)
	if err != nil {
		return nil, err
	}
	defer kl.Close()
	opt.prefs = kl.Prefs()
	c := newCollector(opt.Gaps)
	partial, err := dissectFile(ctx, bin, opt, c)
	if err != nil {
		return nil, err
	}
	c.close(opt)
	res := &Result{File: opt.File, Partial: partial, KeyLog: len(opt.KeyLogs) > 0, Tshark: version, Connections: c.done}
	slices.SortFunc(res.Connections, func(a, b *Conn) int { return cmp.Compare(a.Stream, b.Stream) })
	if len(res.Connections) == 0 {
		return res, ErrNoTCP
	}
	res.summarize(opt.Percentiles)
	return res, nil
}

func (r *Result) summarize(ps []float64) {
	var hs, ct, fb, du, gp []float64
	var tls []*tlshs.Handshake
	for _, c := range r.Connections {
		tls = append(tls, c.TLS)
		if c.HasHandshake {
			hs = append(hs, c.HandshakeRTT)
			ct = append(ct, c.ConnectTime)
		}
		r.Summary.SynRetransmissions += c.SynRetransmissions
		r.Summary.SynAckRetransmissions += c.SynAckRetransmissions
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
	r.Summary.ConnectTime.Summary, _ = stats.Summarize(ct, ps)
	r.Summary.FirstByte.Summary, _ = stats.Summarize(fb, ps)
	r.Summary.Duration.Summary, _ = stats.Summarize(du, ps)
	r.Summary.Goodput.Summary, _ = stats.Summarize(gp, ps)
	r.Summary.TLS = tlshs.Summarize(tls, ps)
}
