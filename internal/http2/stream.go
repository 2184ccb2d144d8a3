package http2

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// fromClient tells the direction of a frame. The side that sends
// :method is the client; until a connection's ends are known (a capture
// begun mid-connection), a frame's direction follows its own headers.
func (p *Pairer) fromClient(c *conn, pk *Packet, f *Frame) (bool, bool) {
	if !c.known {
		if _, ok := has(f.Headers, ":method"); ok && f.Type == TypeHeaders {
			c.client, c.server, c.known = pk.Src, pk.Dst, true
		} else if _, ok := status(f.Headers); (ok && f.Type == TypeHeaders) || f.Type == TypePushPromise {
			// Only a server sends PUSH_PROMISE (RFC 9113 §8.4).
			c.client, c.server, c.known = pk.Dst, pk.Src, true
		} else {
			return false, false
		}
	}
	return pk.Src == c.client, true
}

// frame applies one HTTP/2 frame.
func (p *Pairer) frame(c *conn, pk *Packet, f *Frame, first at) error {
	if !c.h2 {
		c.h2 = true
		p.s.Conns++
	}
	client, ok := p.fromClient(c, pk, f)
	if !ok && f.StreamID != 0 && f.Type == TypeHeaders && len(c.undecided) < maxUndecided {
		c.undecided = append(c.undecided, undecidedFrame{pk: *pk, f: *f, first: first})
		return nil
	}
	if ok && len(c.undecided) > 0 {
		held := c.undecided
		c.undecided = nil
		for i := range held {
			if err := p.frame(c, &held[i].pk, &held[i].f, held[i].first); err != nil {
				return err
			}
		}
	}
	if f.Type == TypeGoAway {
		p.s.GoAways++
		if ok && !client && (!c.goaway || f.GoAwayLast < c.goawayLast) {
			c.goaway, c.goawayLast = true, f.GoAwayLast
		}
		return nil
	}
	if f.StreamID == 0 || !ok {
		return nil
	}
	switch f.Type {
	case TypeHeaders:
		if f.Flags&FlagEndHeaders == 0 {
			c.block[client], c.blockID[client] = first, f.StreamID
		}
		return p.headers(c, pk, f, client, first)
	case TypeContinuation:
		start, ok := c.block[client]
		if !ok || c.blockID[client] != f.StreamID {
			start = first
		}
		if f.Flags&FlagEndHeaders != 0 {
			delete(c.block, client)
		}
		p.s.Continuation++
		return p.headers(c, pk, f, client, start)
	case TypeData:
		if f.Flags&FlagEndStream != 0 {
			return p.end(c, c.streams[f.StreamID], client, pk)
		}
		if s := c.streams[f.StreamID]; s != nil && !client && s.final {
			s.respSeen = pk.Time
		}
	case TypeRSTStream:
		return p.reset(c, pk, f, client)
	case TypePushPromise:
		if !client && f.Promised != 0 {
			s := p.open(c, f.Promised)
			s.pushed = true
			p.s.Pushes++
		}
	}
	return nil
}

// headers applies a header block fragment: a request's, a response's
// (interim or final) or trailers. start is where the block began.
func (p *Pairer) headers(c *conn, pk *Packet, f *Frame, client bool, start at) error {
	s := c.streams[f.StreamID]
	if client {
		if s == nil || (!s.req && f.Type == TypeHeaders) {
			s = p.open(c, f.StreamID)
			s.req, s.ex.Client, s.ex.Server = true, c.client, c.server
			s.ex.Stream = pk.Conn
			s.ex.Req = exchange.MsgRef{Frame: pk.Frame}
			s.ex.ReqFirstFrame, s.ex.ReqFirst, s.ex.ReqLast = start.frame, start.t, pk.Time
			if !s.pushed {
				p.s.Streams++
			}
		}
		p.requestFields(s, f.Headers)
		if f.Flags&FlagEndStream != 0 {
			s.reqEnded = true
		}
		if s.reqEnded {
			// The request ends with its header block: its last byte is
			// the END_HEADERS frame's, unknown while the block is open
			// (its CONTINUATION frames never decoded).
			s.ex.ReqLast = pk.Time
			s.ex.ReqLastUnknown = f.Flags&FlagEndHeaders == 0
		}
		return nil
	}
	if s == nil {
		s = p.open(c, f.StreamID)
	}
	s.ex.Client, s.ex.Server, s.ex.Stream = c.client, c.server, pk.Conn
	if code, ok := status(f.Headers); ok && !s.final {
		if code >= 100 && code < 200 {
			s.ex.Interim++
		} else {
			s.final = true
			s.ex.Status = code
			s.ex.Resp = exchange.MsgRef{Frame: pk.Frame}
			s.ex.RespFirstFrame, s.ex.RespFirst = start.frame, start.t
			s.ex.RespBody, _ = contentLength(f.Headers)
			s.respSeen = pk.Time
		}
	} else if s.final && f.Type == TypeHeaders {
		p.s.Trailers++
	}
	if v, ok := has(f.Headers, "grpc-status"); ok {
		s.ex.GRPCStatus = v
	}
	if f.Flags&FlagEndStream != 0 {
		return p.end(c, s, false, pk)
	}
	return nil
}

func (p *Pairer) requestFields(s *h2stream, h []Header) {
	if v, ok := has(h, ":method"); ok {
		s.ex.Method = v
	}
	if v, ok := has(h, ":path"); ok {
		s.ex.URI = v
	}
	if v, ok := has(h, ":authority"); ok {
		s.ex.Host = v
	}
	if b, ok := contentLength(h); ok {
		s.ex.ReqBody = b
	}
}

// contentLength reads a header block's content-length, when it has a
// valid one.
func contentLength(h []Header) (exchange.Size, bool) {
	v, ok := has(h, "content-length")
	if !ok {
		return exchange.Size{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return exchange.Size{}, false
	}
	return exchange.Bytes(n), true
}

// end applies END_STREAM from one side; the server's ends the exchange.
func (p *Pairer) end(c *conn, s *h2stream, client bool, pk *Packet) error {
	if s == nil {
		return nil
	}
	if client {
		s.ex.ReqLast = pk.Time
		return nil
	}
	s.ex.RespLast = pk.Time
	if s.final {
		s.ex.Kind = exchange.Matched
	}
	return p.report(c, s)
}

// reset applies RST_STREAM: counted always; a stream still open is
// unanswered with reason "reset", unless its final response HEADERS are
// in: then it was answered, and reset mid-response (a client cancelling
// a download, a server failing mid-body), its ttfb exact and its last
// byte unknown, as HTTP/1's responses begun and never completed are.
// Leaving those out would bias the latency (slow answers are the ones
// cancelled).
func (p *Pairer) reset(c *conn, pk *Packet, f *Frame, client bool) error {
	by := "server"
	if client {
		by = "client"
	}
	key := by + " " + f.RSTError
	p.s.Resets[key]++
	s := c.streams[f.StreamID]
	if s == nil {
		return nil
	}
	s.ex.Reset = key
	if s.final && s.req {
		s.ex.Kind, s.ex.RespLast, s.ex.RespLastUnknown = exchange.Matched, s.respSeen, true
		return p.report(c, s)
	}
	s.ex.Unanswered = "reset"
	if s.final {
		s.ex.ResponseIncomplete = true
	}
	return p.report(c, s)
}

// report hands a finished stream to the sink (pushed streams are counted,
// not paired) and forgets it.
func (p *Pairer) report(c *conn, s *h2stream) error {
	delete(c.streams, s.ex.StreamID)
	if s.pushed || s.reported || (!s.req && !s.final) {
		return nil
	}
	if !s.req {
		// A response whose request HEADERS the capture lacks (it began
		// mid-connection, or tshark could not dissect that block): an
		// orphan, counted as HTTP/1's are, never dropped.
		s.ex.Kind, s.ex.Unanswered = exchange.Orphan, ""
	}
	s.reported = true
	ex := s.ex
	return p.sink(&ex)
}

// Flush reports the streams still open at the end of the capture:
// unanswered, cut by a GOAWAY on their connection or by the capture's end;
// or, when the final response HEADERS are in, answered with the last byte
// unknown, as HTTP/1's responses cut by the capture's end are: the first
// byte, and so ttfb, is exact.
func (p *Pairer) Flush() (Stats, error) {
	for _, id := range sortedKeys(p.conns) {
		c := p.conns[id]
		for _, sid := range sortedKeys(c.streams) {
			s := c.streams[sid]
			switch {
			case c.goaway && sid > c.goawayLast:
				s.ex.Unanswered = "goaway"
				s.ex.ResponseIncomplete = s.final
			case s.final && s.req:
				s.ex.Kind, s.ex.RespLast, s.ex.RespLastUnknown = exchange.Matched, s.respSeen, true
			default:
				s.ex.Unanswered = "capture_end"
				s.ex.ResponseIncomplete = s.final
			}
			if err := p.report(c, s); err != nil {
				return p.s, err
			}
		}
		if c.h2 && c.known && !c.upgraded {
			p.s.ConnsByServer[c.server]++
		}
		p.s.flushBlind(c)
		if c.tls && !c.decrypted {
			p.s.Undecrypted = append(p.s.Undecrypted, TLSConn{Client: c.client, Server: c.server, SNI: c.sni, Frame: c.hello})
		}
	}
	slices.SortFunc(p.s.Undecrypted, func(a, b TLSConn) int { return cmp.Compare(a.Frame, b.Frame) })
	return p.s, nil
}

// frameTimes remembers the times of the most recent frames, so that a
// message's first byte (an earlier segment of its reassembled PDU) has a
// time; bounded, since reassembly spans a few recent frames.
type frameTimes struct {
	max  int
	ring []int64
	next int
	m    map[int64]parse.Time
}

func newFrameTimes(max int) *frameTimes {
	return &frameTimes{max: max, ring: make([]int64, 0, max), m: map[int64]parse.Time{}}
}

func (ft *frameTimes) put(frame int64, t parse.Time) {
	if len(ft.ring) < ft.max {
		ft.ring = append(ft.ring, frame)
	} else {
		delete(ft.m, ft.ring[ft.next])
		ft.ring[ft.next] = frame
		ft.next = (ft.next + 1) % ft.max
	}
	ft.m[frame] = t
}

func (ft *frameTimes) get(frame int64, fallback at) at {
	if t, ok := ft.m[frame]; ok {
		return at{frame, t}
	}
	return fallback
}

func sortedKeys[K int64 | uint32, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
