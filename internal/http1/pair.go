package http1

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// Pairing selects how requests are matched with responses.
type Pairing string

const (
	// PairTuple matches by connection, first in first out: the n-th final
	// response on a TCP connection answers the n-th request. This is what
	// HTTP/1.1 guarantees, so it is right under pipelining.
	PairTuple Pairing = "tuple"
	// PairTshark follows tshark's own http.request_in links. tshark 4.0
	// links a response to the most recent request on the connection, which
	// is wrong under pipelining; kept for cross-checking the dissector.
	PairTshark Pairing = "tshark"
)

// ParsePairing validates a --pairing value.
func ParsePairing(s string) (Pairing, error) {
	switch Pairing(s) {
	case PairTuple, PairTshark:
		return Pairing(s), nil
	}
	return "", fmt.Errorf("unknown pairing %q: want tuple or tshark", s)
}

// Counters tallies what the pairer saw besides exchanges, so that nothing
// is dropped silently.
type Counters struct {
	Requests        int `json:"requests"`
	Responses       int `json:"responses"`         // final responses
	Interim         int `json:"interim_responses"` // 1xx
	UDPMessages     int `json:"udp_http_ignored"`  // HTTP over UDP (SSDP), never paired
	RetransSegments int `json:"retransmitted_segments"`
	// Estimated counts messages whose byte times are upper bounds.
	Estimated int `json:"times_estimated"`
	// LostResponses counts requests whose response fell in a capture gap
	// (reported as unmatched).
	LostResponses int `json:"responses_lost_in_gaps"`
	// Incomplete counts requests whose response began but never completed.
	Incomplete int `json:"responses_incomplete"`
	// DuplicateMessages counts HTTP messages tshark reported again on a
	// retransmitted segment; they are not exchanges.
	DuplicateMessages int `json:"retransmitted_messages_ignored"`
	// Ambiguous counts responses that follow a capture gap on a
	// connection with several requests outstanding, all sent before the
	// gap: their pairing is FIFO's best guess.
	Ambiguous int `json:"ambiguous_after_gap"`
}

type pending struct {
	ex exchange.Exchange
	// ack is the client's acknowledgement number when it began sending
	// the request: server bytes below it were sent before the server
	// could have seen this request, so they cannot be its response.
	ack uint32
}

type stream struct {
	a       netip.AddrPort // first source seen: direction 0
	dirs    [2]direction
	pending []*pending
	retrans int
	fins    int
	// loneInterim counts 1xx responses seen before their request was
	// reported.
	loneInterim int
	server      netip.AddrPort
	client      netip.AddrPort
	known       bool
}

// Pairer pairs the HTTP messages of a packet stream. Feed it every packet
// in frame order with Add, then call Flush once at the end.
type Pairer struct {
	mode    Pairing
	sink    exchange.Sink
	streams map[int64]*stream
	c       Counters
	// RetransByServer attributes retransmitted segments to the server of
	// their connection once the connection is retired.
	RetransByServer map[netip.AddrPort]int
	// ConnsByServer counts connections that carried HTTP, per server.
	ConnsByServer map[netip.AddrPort]int
	// InterimByServer counts 1xx responses no request ever claimed.
	InterimByServer map[netip.AddrPort]int
	// Defer, when set, withholds the unanswered requests of a connection
	// that ends with a response begun but never completed, into Deferred,
	// instead of emitting them. With out-of-order reassembly on, tshark
	// waits forever for bytes a capture gap swallowed and reports nothing
	// after it on that connection; the caller re-reads such connections
	// with out-of-order reassembly off and takes the answers from there.
	Defer    bool
	Deferred map[int64][]exchange.Exchange
}

// NewPairer returns a pairer that hands exchanges to sink.
func NewPairer(mode Pairing, sink exchange.Sink) *Pairer {
	return &Pairer{
		mode:            mode,
		sink:            sink,
		streams:         make(map[int64]*stream),
		RetransByServer: make(map[netip.AddrPort]int),
		ConnsByServer:   make(map[netip.AddrPort]int),
		InterimByServer: make(map[netip.AddrPort]int),
	}
}

// Counters returns the tallies so far.
func (p *Pairer) Counters() Counters { return p.c }

// Add processes one packet.
func (p *Pairer) Add(pk *Packet) error {
	if pk.UDP {
		p.c.UDPMessages += pk.UDPMessages
		return nil
	}
	if !pk.HasStream {
		return nil
	}
	st := p.streams[pk.Stream]
	src := netip.AddrPortFrom(pk.Src, pk.SrcPort)
	dst := netip.AddrPortFrom(pk.Dst, pk.DstPort)
	if st == nil {
		st = &stream{a: src}
		p.streams[pk.Stream] = st
	}
	dirIdx := 0
	if src != st.a {
		dirIdx = 1
	}
	dir := &st.dirs[dirIdx]
	if pk.Retransmission {
		// With sequence analysis on, tshark hands a retransmitted copy to
		// HTTP only when the original was never seen (the copy fills a
		// gap), so a message reported here is its first and only sighting.
		st.retrans++
		p.c.RetransSegments++
	}
	here := dir.observe(pk)
	// The first message in this frame may have started in an earlier
	// segment; any further ones started in this frame (mid-segment, so
	// with no gap before them).
	//
	// Except when this frame filled a hole (a retransmission or an
	// out-of-order segment): then every message queued behind the hole
	// completes here, and where the second and later ones began is not in
	// tshark's fields. This frame's time is then an upper bound of their
	// first byte, and they are counted as estimated.
	filler := pk.Retransmission || pk.OutOfOrder
	first := func(i int) (seg, bool) {
		if i == 0 && pk.FirstSegment > 0 && pk.FirstSegment != pk.Frame {
			s, ok := dir.lookup(pk.FirstSegment, here)
			return s, ok
		}
		return here, i == 0 || !filler
	}
	// Where the first message starts, and whether unparsed bytes lie
	// between it and the previous message (checked before the frame's
	// messages move the mark).
	var gap bool
	var firstStart int64
	if len(pk.Methods) > 0 || len(pk.Codes) > 0 {
		fs, _ := first(0)
		firstStart = fs.seq
		if pk.Retransmission && dir.seen(firstStart) {
			// A retransmitted copy of messages already parsed.
			p.c.DuplicateMessages += len(pk.Methods) + len(pk.Codes)
			return p.flags(pk, st)
		}
		gap = dir.gapBefore(firstStart)
	}
	firstCounted := func(i int) (seg, bool) {
		fs, ok := first(i)
		if !ok {
			p.c.Estimated++
		}
		return fs, ok
	}
	for i, m := range pk.Methods {
		p.c.Requests++
		fs, ok := firstCounted(i)
		ff, ft := fs.frame, fs.t
		p.know(st, src, dst)
		interim := st.loneInterim
		st.loneInterim = 0
		st.pending = append(st.pending, &pending{ack: fs.ack, ex: exchange.Exchange{
			Interim: interim,
			Kind:    exchange.Unmatched, Stream: pk.Stream, Client: src, Server: dst,
			Method: m, URI: pk.URIs[i], Host: pk.Hosts[i],
			Req: exchange.MsgRef{Frame: pk.Frame, Index: i}, ReqFirstFrame: ff, ReqFirst: ft, ReqLast: pk.Time,
			Estimated: !ok,
		}})
	}
	for i, code := range pk.Codes {
		fs, ok := firstCounted(i)
		ff, ft := fs.frame, fs.t
		p.know(st, dst, src)
		interim := code >= 100 && code < 200 && code != 101
		if interim {
			p.c.Interim++
		} else {
			p.c.Responses++
		}
		var pe *pending
		switch p.mode {
		case PairTuple:
			if i == 0 && gap {
				if err := p.resync(st, dir, firstStart); err != nil {
					return err
				}
			}
			if len(st.pending) > 0 {
				pe = st.pending[0]
			}
		case PairTshark:
			if link := pk.RequestIn[i]; link > 0 {
				for j := len(st.pending) - 1; j >= 0; j-- {
					if st.pending[j].ex.Req.Frame == link {
						pe = st.pending[j]
						break
					}
				}
			}
		}
		if pe == nil {
			if interim {
				// Typically 100 Continue: tshark reports the request only
				// once its body is complete, after the 1xx. The next
				// request on the connection takes it.
				st.loneInterim++
				continue
			}
			ex := exchange.Exchange{
				Kind: exchange.Orphan, Stream: pk.Stream, Client: dst, Server: src, Status: code,
				Resp: exchange.MsgRef{Frame: pk.Frame, Index: i}, RespFirstFrame: ff, RespFirst: ft, RespLast: pk.Time,
				Estimated: !ok,
			}
			if err := p.sink(&ex); err != nil {
				return err
			}
			continue
		}
		if interim {
			pe.ex.Interim++
			continue
		}
		ex := pe.ex
		ex.Kind = exchange.Matched
		ex.Status = code
		ex.Resp = exchange.MsgRef{Frame: pk.Frame, Index: i}
		ex.RespFirstFrame, ex.RespFirst, ex.RespLast = ff, ft, pk.Time
		ex.Estimated = ex.Estimated || !ok
		p.removePending(st, pe)
		if err := p.sink(&ex); err != nil {
			return err
		}
	}
	if len(pk.Methods) > 0 || len(pk.Codes) > 0 {
		dir.reported(firstStart)
	}
	return p.flags(pk, st)
}

// resync handles a response that starts after server bytes no HTTP
// message was parsed from: a capture gap, typically, that swallowed one or
// more earlier responses. Pure FIFO would then pair every later response
// with the request before its own. The client's acknowledgement numbers
// say how far the server's byte stream had got when each request was sent:
// if a younger pending request was sent after the client had received some
// of the unparsed bytes, those bytes were the responses to the requests
// before it, which are therefore unanswered in this capture. Pipelined
// requests sent before any of the gap carry no such evidence and keep
// FIFO order.
func (p *Pairer) resync(st *stream, dir *direction, start int64) error {
	if len(st.pending) < 2 {
		return nil
	}
	k := 0
	for j := len(st.pending) - 1; j > 0; j-- {
		a := dir.unwrap(st.pending[j].ack)
		if a > dir.mark && a <= start {
			k = j
			break
		}
	}
	if k == 0 {
		// Pipelined requests were all sent before the gap: how many
		// responses it swallowed is unknowable, FIFO is a guess.
		p.c.Ambiguous++
		return nil
	}
	for _, q := range st.pending[:k] {
		p.c.LostResponses++
		ex := q.ex
		ex.ResponseLost = true
		if err := p.sink(&ex); err != nil {
			return err
		}
	}
	st.pending = st.pending[k:]
	return nil
}

// know records which side of a connection is the server, from its first
// HTTP message.
func (p *Pairer) know(st *stream, client, server netip.AddrPort) {
	if !st.known {
		st.known, st.client, st.server = true, client, server
		p.ConnsByServer[server]++
	}
}

func (p *Pairer) removePending(st *stream, pe *pending) {
	for j, q := range st.pending {
		if q == pe {
			st.pending = append(st.pending[:j], st.pending[j+1:]...)
			return
		}
	}
}

// flags retires a connection on RST or on the second FIN: nothing more
// can be said on it, so its unanswered requests are final.
func (p *Pairer) flags(pk *Packet, st *stream) error {
	if pk.Flags&parse.FlagRST != 0 {
		return p.retire(pk.Stream, st)
	}
	if pk.Flags&parse.FlagFIN != 0 && !pk.Retransmission {
		st.fins++
		if st.fins >= 2 {
			return p.retire(pk.Stream, st)
		}
	}
	return nil
}

func (p *Pairer) retire(id int64, st *stream) error {
	delete(p.streams, id)
	if st.known {
		p.RetransByServer[st.server] += st.retrans
		p.InterimByServer[st.server] += st.loneInterim
	}
	if p.Defer && len(st.pending) > 0 && st.known {
		ex := st.pending[0].ex
		if p.markIncomplete(st, &ex) {
			if p.Deferred == nil {
				p.Deferred = map[int64][]exchange.Exchange{}
			}
			p.c.Incomplete--
			for _, q := range st.pending {
				p.Deferred[id] = append(p.Deferred[id], q.ex)
			}
			return nil
		}
	}
	for i, q := range st.pending {
		ex := q.ex
		if i == 0 && st.known {
			p.markIncomplete(st, &ex)
		}
		if err := p.sink(&ex); err != nil {
			return err
		}
	}
	return nil
}

// markIncomplete notes that the server had started answering the oldest
// unanswered request when the capture (or connection) ended: server
// payload after the request that no parsed message accounts for. Its first
// byte is known, so the report can say "started, never completed" instead
// of just "unanswered".
func (p *Pairer) markIncomplete(st *stream, ex *exchange.Exchange) bool {
	d := &st.dirs[0]
	if st.server != st.a {
		d = &st.dirs[1]
	}
	for _, s := range d.segs {
		if s.frame > ex.Req.Frame && s.seq >= d.mark {
			ex.ResponseIncomplete = true
			ex.RespFirstFrame, ex.RespFirst = s.frame, s.t
			p.c.Incomplete++
			return true
		}
	}
	return false
}

// Flush ends the input: every connection still open is retired, in
// connection order so that output is deterministic.
func (p *Pairer) Flush() error {
	ids := make([]int64, 0, len(p.streams))
	for id := range p.streams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := p.retire(id, p.streams[id]); err != nil {
			return err
		}
	}
	return nil
}
