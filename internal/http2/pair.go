package http2

import (
	"net/netip"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// Stats counts what the HTTP/2 pass saw besides exchanges.
type Stats struct {
	Conns int // connections that carried HTTP/2 frames
	// ConnsByServer counts, by server, the HTTP/2 connections that carried
	// no HTTP/1 message (prior knowledge, or TLS with ALPN h2): an
	// upgraded h2c connection is counted by the HTTP/1 pass already.
	ConnsByServer map[netip.AddrPort]int
	Streams       int            // request streams (client-initiated)
	Pushes        int            // server-pushed streams (reported, not paired)
	Resets        map[string]int // "client CANCEL" → count
	GoAways       int
	Trailers      int
	Continuation  int // CONTINUATION frames
	// Upgraded lists the TCP connections that switched to HTTP/2 by
	// Upgrade: h2c: their HTTP/1 101 is not an answer.
	Upgraded []int64
	// TLS connections by server, and how many of them were decrypted
	// (a Finished handshake message is visible only with keys in TLS 1.3
	// and only decrypted in TLS 1.2).
	TLSConns, TLSDecrypted map[netip.AddrPort]int
	// SNI: the server names TLS clients asked for, with counts.
	SNI map[string]int
	// Undecrypted are the TLS connections no key decrypted, in the order
	// of their ClientHello: what a user checks a key log against.
	Undecrypted []TLSConn
	// Blind are the decrypted connections that stopped decrypting.
	Blind []BlindTLS
}

// TLSConn is one TLS connection, named as a user would look for it.
type TLSConn struct {
	Client netip.AddrPort `json:"client"`
	Server netip.AddrPort `json:"server"`
	SNI    string         `json:"server_name,omitempty"`
	// Frame is the ClientHello's frame number.
	Frame int64 `json:"client_hello_frame"`
}

// at is a frame and its time: where a message's byte was.
type at struct {
	frame int64
	t     parse.Time
}

type h2stream struct {
	ex       exchange.Exchange
	req      bool // the request's HEADERS were seen
	final    bool // the final response HEADERS were seen
	pushed   bool
	reported bool
	// reqEnded: the client's END_STREAM was seen, on a HEADERS frame
	// whose header block may still continue (CONTINUATION frames).
	reqEnded bool
	// respSeen is the time of the last frame of the response seen, the
	// lower bound of its last byte when the capture ends before it.
	respSeen parse.Time
}

type conn struct {
	client, server netip.AddrPort
	known          bool
	h2             bool
	streams        map[uint32]*h2stream
	// block is where each side's unfinished header block began
	// (HEADERS without END_HEADERS), keyed by "from client".
	block   map[bool]at
	blockID map[bool]uint32
	// goaway is set once the server sent GOAWAY; streams above
	// goawayLast are then cut by it.
	goaway     bool
	goawayLast uint32
	upgradeRq  *exchange.Exchange // an HTTP/1 request with Upgrade: h2c
	tls        bool
	decrypted  bool
	sni        string
	hello      int64        // the ClientHello's frame
	upgraded   bool         // switched from HTTP/1 by Upgrade: h2c
	dark       [2]blindness // client→server, server→client
	// undecided holds HEADERS frames seen before the connection's ends
	// were known: a header block tshark could not decode (one spanning
	// segments it did not reassemble) says nothing of its direction, and
	// dropping it would make its response an orphan. They are applied
	// once a later frame tells the client from the server.
	undecided []undecidedFrame
}

// undecidedFrame is a HEADERS frame waiting for its direction.
type undecidedFrame struct {
	pk    Packet
	f     Frame
	first at
}

// maxUndecided bounds conn.undecided: a connection whose direction is
// never known holds no more.
const maxUndecided = 64

// Pairer pairs each HTTP/2 stream's request with its response, by TCP
// connection and stream id.
type Pairer struct {
	sink  exchange.Sink
	conns map[int64]*conn
	times *frameTimes
	s     Stats
}

// NewPairer returns a pairer that hands exchanges to sink.
func NewPairer(sink exchange.Sink) *Pairer {
	return &Pairer{
		sink: sink, conns: map[int64]*conn{}, times: newFrameTimes(1 << 16),
		s: Stats{Resets: map[string]int{}, TLSConns: map[netip.AddrPort]int{}, ConnsByServer: map[netip.AddrPort]int{},
			TLSDecrypted: map[netip.AddrPort]int{}, SNI: map[string]int{}},
	}
}

// Add processes one packet, in capture order.
func (p *Pairer) Add(pk *Packet) error {
	if pk.Conn < 0 {
		return nil
	}
	p.times.put(pk.Frame, pk.Time)
	c := p.conns[pk.Conn]
	if c == nil {
		c = &conn{streams: map[uint32]*h2stream{}, block: map[bool]at{}, blockID: map[bool]uint32{}}
		p.conns[pk.Conn] = c
	}
	p.tlsFacts(c, pk)
	c.blind(pk)
	if err := p.h1(c, pk); err != nil {
		return err
	}
	for i := range pk.Frames {
		first := at{pk.Frame, pk.Time}
		if i == 0 && pk.FirstSegment > 0 {
			first = p.times.get(pk.FirstSegment, first)
		}
		if err := p.frame(c, pk, &pk.Frames[i], first); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pairer) tlsFacts(c *conn, pk *Packet) {
	if pk.ClientHello && !c.tls {
		c.tls = true
		p.s.TLSConns[pk.Dst]++
		if pk.SNI != "" {
			p.s.SNI[pk.SNI]++
		}
		c.client, c.server, c.known = pk.Src, pk.Dst, true
		c.sni, c.hello = pk.SNI, pk.Frame
	}
	if pk.Finished && c.tls && !c.decrypted {
		c.decrypted = true
		p.s.TLSDecrypted[c.server]++
	}
}

// h1 follows an HTTP/1 Upgrade: h2c: the request becomes stream 1's and
// the 101 only switches protocols.
func (p *Pairer) h1(c *conn, pk *Packet) error {
	switch {
	case pk.H1Method != "" && containsToken(pk.H1Upgrade, "h2c"):
		first := at{pk.Frame, pk.Time}
		if pk.FirstSegment > 0 {
			first = p.times.get(pk.FirstSegment, first)
		}
		c.client, c.server, c.known = pk.Src, pk.Dst, true
		c.upgradeRq = &exchange.Exchange{Method: pk.H1Method, URI: pk.H1URI,
			ReqFirstFrame: first.frame, ReqFirst: first.t, ReqLast: pk.Time,
			Req: exchange.MsgRef{Frame: pk.Frame}}
	case pk.H1Code == 101 && c.upgradeRq != nil && containsToken(pk.H1Upgrade, "h2c"):
		s := p.open(c, 1)
		s.ex.Method, s.ex.URI = c.upgradeRq.Method, c.upgradeRq.URI
		s.ex.Req, s.ex.ReqFirstFrame = c.upgradeRq.Req, c.upgradeRq.ReqFirstFrame
		s.ex.ReqFirst, s.ex.ReqLast = c.upgradeRq.ReqFirst, c.upgradeRq.ReqLast
		// The 101 is the request's interim response (RFC 9110 §15.2.2);
		// its final one comes on stream 1.
		s.ex.Interim++
		s.req = true
		c.upgradeRq, c.upgraded = nil, true
		p.s.Upgraded = append(p.s.Upgraded, pk.Conn)
		p.s.Streams++
	}
	return nil
}

func containsToken(list, tok string) bool {
	for len(list) > 0 {
		var t string
		t, list = cut(list)
		if t == tok {
			return true
		}
	}
	return false
}

func cut(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return trim(s[:i]), s[i+1:]
		}
	}
	return trim(s), ""
}

func trim(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// open returns the stream's state, creating it.
func (p *Pairer) open(c *conn, id uint32) *h2stream {
	s := c.streams[id]
	if s == nil {
		s = &h2stream{ex: exchange.Exchange{Kind: exchange.Unmatched, Protocol: exchange.H2, StreamID: id}}
		c.streams[id] = s
	}
	return s
}

func status(h []Header) (int, bool) {
	for _, f := range h {
		if f.Name == ":status" && f.Known {
			n, err := strconv.Atoi(f.Value)
			return n, err == nil
		}
	}
	return 0, false
}

func has(h []Header, name string) (string, bool) {
	for _, f := range h {
		if f.Name == name && f.Known {
			return f.Value, true
		}
	}
	return "", false
}
