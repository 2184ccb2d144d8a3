package synth

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Times inside the generator are at the client's host (what the client
// sends, when; when server packets reach it); add moves them to the
// capture point.

// msgSeg is one segment of a message: its place in the byte stream and
// every copy of it sent (packet orders; a retransmission adds one).
type msgSeg struct {
	seq    uint32
	n      int
	copies []int
}

// exMeta is what finish needs to judge an exchange against the capture.
type exMeta struct {
	req, resp []msgSeg
	reset     bool // the server reset instead of answering
	batch     int  // pipelined batch, per connection
	respAck   int  // the client's ACK of the whole response (packet order), -1 none
}

// connMeta is what finish needs about a connection.
type connMeta struct {
	c            int
	syns, synack []int // packet orders
	ack          int
	// answered pairs the SYN/ACKs that answered a SYN with that SYN:
	// synack order -> syn order.
	answered    map[int]int
	completing  int // the SYN/ACK the client acknowledged
	fins        []int
	reset       bool
	filledHoles int
	cISN, sISN  uint32
	firstData   [2][]msgSeg // client, server: every data segment
}

func (g *gen) rto() int64 { return max(int64(3*g.cfg.RTT), int64(200*time.Millisecond)) }

// conn generates one connection: handshake, exchanges, FIN both ways (or
// the server's RST).
func (g *gen) conn(c int) {
	cfg := g.cfg
	half := int64(cfg.RTT) / 2
	g.shift = int64(cfg.Tap * float64(half))
	t := cfg.Start.UnixNano() + int64(c)*int64(3*time.Millisecond) + int64(g.r.IntN(1000))*1000
	// Sequence numbers are relative-friendly: ISNs from the seed.
	cISN, sISN := g.r.Uint32(), g.r.Uint32()
	cm := &connMeta{c: c, cISN: cISN, sISN: sISN, answered: map[int]int{}}
	g.conns = append(g.conns, cm)
	cseq, sseq := cISN+1, sISN+1
	t = g.handshake(cm, t, cISN, sISN)
	t += 50_000

	serverFree := int64(0) // when the server finishes its previous response (at the server)
	for i, batchNo := 0, 0; i < cfg.PerConn; batchNo++ {
		batch := min(cfg.Pipeline, cfg.PerConn-i)
		var reqs []sent
		// Client writes the batch back to back.
		for k := 0; k < batch; k++ {
			s := g.request(cm, c, i+k, &t, &cseq, sseq, reqs)
			s.meta.batch = batchNo
			reqs = append(reqs, s)
		}
		// Server answers in order.
		lastArrival := t
		for k := range reqs {
			if g.ix.of(c, reqs[k].ex.Index, Reset) != nil {
				g.reset(cm, reqs[k:], max(reqs[k].arriveAt, serverFree), sseq, cseq)
				g.keep(reqs)
				return
			}
			end := g.respond(cm, &reqs[k], &serverFree, &sseq, cseq)
			lastArrival = max(lastArrival, end)
		}
		g.keep(reqs)
		i += batch
		t = lastArrival + 200_000 // client think time
	}
	// Client closes; server closes.
	cm.fins = append(cm.fins, g.add(pkt{t: t, conn: c, fromCli: true, seq: cseq, ack: sseq, flags: fFIN | fACK}))
	cm.fins = append(cm.fins, g.add(pkt{t: t + int64(cfg.RTT), conn: c, seq: sseq, ack: cseq + 1, flags: fFIN | fACK}))
	g.add(pkt{t: t + int64(cfg.RTT) + 20_000, conn: c, fromCli: true, seq: cseq + 1, ack: sseq + 1, flags: fACK, keep: true})
}

// sent is a request on its way to the server.
type sent struct {
	ex       Exchange
	meta     exMeta
	arriveAt int64 // request complete at the server
}

// keep records a batch's exchanges in the truth, moving times to the
// capture point.
func (g *gen) keep(reqs []sent) {
	for _, s := range reqs {
		if g.shift != 0 {
			s.ex.ReqFirst += g.shift
			s.ex.ReqLast += g.shift
			if s.ex.RespFirst != 0 {
				s.ex.RespFirst -= g.shift
				s.ex.RespLast -= g.shift
			}
		}
		g.tr.Exchanges = append(g.tr.Exchanges, s.ex)
		g.meta = append(g.meta, s.meta)
	}
}

// request sends exchange idx's request at *t; earlier is the batch so far.
func (g *gen) request(cm *connMeta, c, idx int, t *int64, cseq *uint32, sseq uint32, earlier []sent) sent {
	cfg := g.cfg
	cli, srv := g.addrs(c)
	uri := fmt.Sprintf("/c%d/r%d", c, idx)
	pad := ""
	if cfg.ReqPad > 0 {
		pad = "X-Pad: " + strings.Repeat("p", cfg.ReqPad) + "\r\n"
	}
	req := []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: synth.test\r\nUser-Agent: pcapsynth\r\n%s\r\n", uri, pad))
	ex := Exchange{Conn: c, Index: idx, Client: cli.String(), Server: srv.String(), Method: "GET", URI: uri, ReqFirst: *t}
	lost := g.r.Float64() < cfg.Loss
	nseg := (len(req) + cfg.MSS - 1) / cfg.MSS
	meta := exMeta{respAck: -1}
	for s := 0; s < nseg; s++ {
		lo, hi := s*cfg.MSS, min(len(req), (s+1)*cfg.MSS)
		ms := msgSeg{seq: *cseq + uint32(lo), n: hi - lo}
		at := *t + int64(s)*12_000
		ms.copies = append(ms.copies, g.add(pkt{t: at, conn: c, fromCli: true, seq: ms.seq, ack: sseq, flags: fPSH | fACK, payload: req[lo:hi]}))
		if lost {
			// Lost on the way: the client retransmits after an RTO
			// of 3×RTT (min 200 ms, as Linux), captured again.
			ms.copies = append(ms.copies, g.add(pkt{t: at + g.rto(), conn: c, fromCli: true, seq: ms.seq, ack: sseq, flags: fPSH | fACK, payload: req[lo:hi]}))
		}
		meta.req = append(meta.req, ms)
	}
	arrive := *t + int64(nseg-1)*12_000 + int64(cfg.RTT)/2
	if lost {
		g.tr.Retransmitted++
		ex.Retransmit++
		arrive += g.rto()
	}
	for _, e := range g.ix.of(c, idx, ReqDrop) {
		e.Seg, e.N = 0, nseg
		g.drop(meta.req, e)
	}
	for _, e := range g.ix.of(c, idx, ReqSegDrop) {
		g.drop(meta.req, e)
	}
	cm.firstData[0] = append(cm.firstData[0], meta.req...)
	ex.ReqLast = *t + int64(nseg-1)*12_000
	*cseq += uint32(len(req))
	// TCP delivers in order: a request behind a lost one reaches the
	// server only with the retransmission.
	if len(earlier) > 0 {
		arrive = max(arrive, earlier[len(earlier)-1].arriveAt)
	}
	*t += 10_000 + int64(nseg-1)*12_000
	return sent{ex: ex, meta: meta, arriveAt: arrive}
}

// drop marks the segments an event names as missed by the capture.
func (g *gen) drop(segs []msgSeg, e Event) {
	for _, s := range e.segs(len(segs)) {
		for _, o := range segs[s].copies {
			g.pkts[o].dropped = true
		}
	}
}

// respSeg is a response segment being scheduled.
type respSeg struct {
	at   int64
	seq  uint32
	data []byte
	n    int
	drop bool
}

// respond sends the response to one request and the client's ACK of it;
// it returns when that ACK left the client.
func (g *gen) respond(cm *connMeta, s *sent, serverFree *int64, sseq *uint32, cseq uint32) int64 {
	cfg := g.cfg
	c, ex := cm.c, &s.ex
	half := int64(cfg.RTT) / 2
	d := g.delay()
	ex.DelayNS = int64(d)
	start := max(s.arriveAt, *serverFree) + int64(d)
	body := cfg.BodyMin
	if cfg.BodyMax > cfg.BodyMin {
		body += g.r.IntN(cfg.BodyMax - cfg.BodyMin + 1)
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(body) + "\r\n\r\n"
	total := len(head) + body
	ex.BodyBytes = body
	gap := (cfg.GapEvery > 0 && (ex.Index+1)%cfg.GapEvery == 0) || g.ix.of(c, ex.Index, RespDrop) != nil
	nseg := (total + cfg.MSS - 1) / cfg.MSS
	var segs []respSeg
	off := 0
	for i := 0; i < nseg; i++ {
		n := min(cfg.MSS, total-off)
		var data []byte
		if off < len(head) {
			data = []byte(head[off:min(len(head), off+n)])
			if len(data) < n {
				data = append(data, []byte(strings.Repeat("x", n-len(data)))...)
			}
		}
		arrive := start + half + int64(i)*12_000 // 12 µs per segment
		segs = append(segs, respSeg{at: arrive, seq: *sseq + uint32(off), data: data, n: n})
		off += n
	}
	*serverFree = start + int64(nseg)*12_000
	// Loss: a lost server segment is not captured; its retransmission
	// arrives an RTO later. Reordering swaps the arrival of two
	// neighbours.
	for i := range segs {
		if gap {
			break
		}
		if g.r.Float64() < cfg.Loss {
			segs[i].at += g.rto()
			g.tr.Retransmitted++
			ex.Retransmit++
			cm.filledHoles++
		} else if i+1 < len(segs) && g.r.Float64() < cfg.Reorder {
			segs[i].at, segs[i+1].at = segs[i+1].at+1000, segs[i].at
		}
	}
	g.scripted(cm, ex, segs)
	end := g.sendResponse(cm, s, segs, gap, *sseq+uint32(total), cseq)
	*sseq += uint32(total)
	return end
}

// scripted applies the events of the exchange to its response segments.
func (g *gen) scripted(cm *connMeta, ex *Exchange, segs []respSeg) {
	for _, e := range g.ix.of(cm.c, ex.Index, RespSegLost) {
		for _, i := range e.segs(len(segs)) {
			segs[i].at += g.rto()
			g.tr.Retransmitted++
			ex.Retransmit++
			cm.filledHoles++
		}
	}
	for _, e := range g.ix.of(cm.c, ex.Index, RespSegDrop) {
		for _, i := range e.segs(len(segs)) {
			segs[i].drop = true
		}
	}
}

// sendResponse adds the response's segments (none when the capture
// dropped it whole, unless the truth is detailed) and the client's ACK.
func (g *gen) sendResponse(cm *connMeta, s *sent, segs []respSeg, gap bool, end, cseq uint32) int64 {
	c, ex := cm.c, &s.ex
	first, last := segs[0].at, segs[0].at
	for _, sg := range segs {
		last = max(last, sg.at)
	}
	if gap {
		ex.LostInGap = true
		if g.cfg.Detail {
			ex.RespFirst, ex.RespLast = first, last
		}
	} else {
		// The message's first byte reaches the capture point with the
		// segment holding the lowest sequence number.
		ex.RespFirst, ex.RespLast = first, last
		if !segs[0].drop {
			ex.Status = 200
		}
	}
	if !gap || g.cfg.Detail {
		for _, sg := range segs {
			flags := uint8(fACK)
			if sg.seq+uint32(sg.n) == end {
				flags |= fPSH
			}
			o := g.add(pkt{t: sg.at, conn: c, seq: sg.seq, ack: cseq, flags: flags, payload: sg.data, n: sg.n})
			g.pkts[o].dropped = g.pkts[o].dropped || sg.drop || gap
			s.meta.resp = append(s.meta.resp, msgSeg{seq: sg.seq, n: sg.n, copies: []int{o}})
		}
		cm.firstData[1] = append(cm.firstData[1], s.meta.resp...)
	}
	if gap {
		// The client got it (only the capture missed it) and acks.
		last = segs[len(segs)-1].at
	}
	s.meta.respAck = g.add(pkt{t: last + 30_000, conn: c, fromCli: true, seq: cseq, ack: end, flags: fACK})
	return last + 30_000
}

// reset makes the server answer the first of reqs with a RST: none of
// them gets a response, and the connection ends there.
func (g *gen) reset(cm *connMeta, reqs []sent, at int64, sseq, cseq uint32) {
	half := int64(g.cfg.RTT) / 2
	g.delay() // the draw a response would have made, for the next ones
	g.add(pkt{t: at + half, conn: cm.c, seq: sseq, ack: cseq, flags: fRST | fACK})
	cm.reset = true
	for i := range reqs {
		reqs[i].meta.reset = true
	}
}
