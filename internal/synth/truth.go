package synth

import (
	"cmp"
	"slices"
)

// The verdicts a correct report gives an exchange (Exchange.Expect) and
// their reasons (Exchange.Reason).
const (
	ExpectMatched    = "matched"    // request and status line in the capture
	ExpectUnanswered = "unanswered" // request seen, its response's status line not
	ExpectOrphan     = "orphan"     // status line seen, its request's first line not
	ExpectInvisible  = "invisible"  // neither: only sequence numbers show bytes were sent

	ReasonResponseInGap      = "response_in_gap"       // sent, every byte missed by the capture
	ReasonResponseStartInGap = "response_start_in_gap" // sent, status line missed, later bytes captured
	ReasonCaptureEnded       = "capture_ended"         // not sent before the capture ended
	ReasonReset              = "reset"                 // the server reset the connection instead
	ReasonRequestInGap       = "request_in_gap"        // the request's first line missed by the capture
)

// finish applies the capture's end, numbers the captured packets in time
// order and, with Config.Detail, completes the truth from them. It
// returns the captured packets in capture order.
func (g *gen) finish() []pkt {
	stop := int64(0)
	if g.cfg.StopAfter > 0 {
		stop = g.cfg.Start.UnixNano() + int64(g.cfg.StopAfter)
		for i := range g.pkts {
			if g.pkts[i].t > stop {
				g.pkts[i].dropped = true
			}
		}
	}
	var captured []pkt
	for _, p := range g.pkts {
		if !p.dropped {
			captured = append(captured, p)
		}
	}
	slices.SortStableFunc(captured, func(a, b pkt) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	g.tr.Packets = len(captured)
	if !g.cfg.Detail {
		return captured
	}
	frame := make([]int, len(g.pkts)) // packet order -> frame, 0: not captured
	for i, p := range captured {
		frame[p.order] = i + 1
	}
	var kept []Exchange
	for i := range g.tr.Exchanges {
		ex, m := &g.tr.Exchanges[i], &g.meta[i]
		if stop > 0 && ex.ReqFirst > stop {
			continue // after the capture: not part of its truth
		}
		g.judge(ex, m, frame, stop)
		kept = append(kept, *ex)
	}
	g.tr.Exchanges = kept
	markAmbiguous(g.tr.Exchanges)
	g.connections(frame, captured)
	return captured
}

// msgView is what the capture holds of one message.
type msgView struct {
	firstFrame int // frame of the earliest captured copy of the first segment
	frame      int // frame completing the message, 0 if some bytes are missing
	missing    int // bytes in no captured segment
	frames     []int
}

func view(segs []msgSeg, frame []int) msgView {
	var v msgView
	complete := len(segs) > 0
	for i, s := range segs {
		f := 0
		for _, o := range s.copies {
			if fr := frame[o]; fr > 0 && (f == 0 || fr < f) {
				f = fr
			}
		}
		if f == 0 {
			v.missing += s.n
			complete = false
			continue
		}
		v.frames = append(v.frames, f)
		if i == 0 {
			v.firstFrame = f
		}
		v.frame = max(v.frame, f)
	}
	if !complete {
		v.frame = 0
	}
	slices.Sort(v.frames)
	return v
}

// judge fills the detailed truth of one exchange.
func (g *gen) judge(ex *Exchange, m *exMeta, frame []int, stop int64) {
	cm := g.conns[ex.Conn]
	ex.Batch = m.batch
	if len(m.req) > 0 {
		ex.ReqSeq = m.req[0].seq - cm.cISN
		for _, s := range m.req {
			ex.ReqLen += s.n
		}
	}
	if len(m.resp) > 0 {
		ex.RespSeq = m.resp[0].seq - cm.sISN
		for _, s := range m.resp {
			ex.RespLen += s.n
		}
	}
	req, resp := view(m.req, frame), view(m.resp, frame)
	ex.ReqFirstFrame, ex.ReqFrame, ex.ReqMissing = req.firstFrame, req.frame, req.missing
	ex.RespFirstFrame, ex.RespFrame, ex.RespMissing = resp.firstFrame, resp.frame, resp.missing
	ex.RespSegments = resp.frames
	switch {
	case req.firstFrame > 0 && resp.firstFrame > 0:
		ex.Expect = ExpectMatched
		ex.TTLBUnknown = resp.frame == 0
		ex.ServerTimeUnknown = req.frame == 0
		if ex.TTLBUnknown && m.respAck >= 0 && frame[m.respAck] > 0 {
			// Received by the time the client acknowledged it all.
			ex.RespLastBound = g.pkts[m.respAck].t
		}
	case req.firstFrame > 0:
		ex.Expect = ExpectUnanswered
		switch {
		case m.reset:
			ex.Reason = ReasonReset
		case stop > 0 && ex.RespFirst > stop:
			ex.Reason = ReasonCaptureEnded
		case len(resp.frames) > 0:
			ex.Reason = ReasonResponseStartInGap
		default:
			ex.Reason = ReasonResponseInGap
		}
	case resp.firstFrame > 0:
		ex.Expect, ex.Reason = ExpectOrphan, ReasonRequestInGap
	default:
		ex.Expect = ExpectInvisible
	}
}

// connections fills Truth.Connections.
func (g *gen) connections(frame []int, captured []pkt) {
	stream := map[int]int{}
	for _, p := range captured {
		if _, ok := stream[p.conn]; !ok {
			stream[p.conn] = len(stream)
		}
	}
	for _, cm := range g.conns {
		cli, srv := g.addrs(cm.c)
		tc := Conn{Conn: cm.c, Stream: -1, Client: cli.String(), Server: srv.String(),
			SYNsSent: len(cm.syns), SYNACKsSent: len(cm.synack), ACKFrame: frame[cm.ack],
			PathRTT: int64(g.cfg.RTT), FilledHoles: cm.filledHoles, SYNFrames: []int{}, SYNACKFrames: []int{}}
		if s, ok := stream[cm.c]; ok {
			tc.Stream = s
		}
		for _, o := range cm.syns {
			if f := frame[o]; f > 0 {
				tc.SYNFrames = append(tc.SYNFrames, f)
			}
		}
		for _, o := range cm.synack {
			if f := frame[o]; f > 0 {
				tc.SYNACKFrames = append(tc.SYNACKFrames, f)
			}
		}
		slices.Sort(tc.SYNACKFrames)
		tc.Connect = g.pkts[cm.ack].t - g.pkts[cm.syns[0]].t
		g.halves(cm, frame, &tc)
		for _, e := range g.tr.Exchanges {
			if e.Conn == cm.c {
				tc.Exchanges++
			}
		}
		tc.ClientGaps = gaps(cm.firstData[0], frame)
		tc.ServerGaps = gaps(cm.firstData[1], frame)
		switch {
		case cm.reset:
			tc.End = "reset"
		case len(cm.fins) == 2 && frame[cm.fins[0]] > 0 && frame[cm.fins[1]] > 0:
			tc.End = "fin"
		default:
			tc.End = "open"
		}
		g.tr.Connections = append(g.tr.Connections, tc)
	}
}

// halves sets the handshake truth from the exchange that completed: the
// SYN/ACK the client acknowledged with that ACK, and the last captured
// SYN the server answered with a captured SYN/ACK.
func (g *gen) halves(cm *connMeta, frame []int, tc *Conn) {
	if frame[cm.completing] > 0 && frame[cm.ack] > 0 {
		d := g.pkts[cm.ack].t - g.pkts[cm.completing].t
		tc.SYNACKToACK = &d
	}
	best := -1
	for sa, syn := range cm.answered {
		if frame[sa] > 0 && frame[syn] > 0 && g.pkts[sa].t <= g.pkts[cm.completing].t && (best < 0 || g.pkts[sa].t > g.pkts[best].t || (g.pkts[sa].t == g.pkts[best].t && sa > best)) {
			best = sa
		}
	}
	if best >= 0 {
		d := g.pkts[best].t - g.pkts[cm.answered[best]].t
		tc.SYNToSYNACK = &d
	}
	if tc.SYNToSYNACK != nil && tc.SYNACKToACK != nil {
		d := *tc.SYNToSYNACK + *tc.SYNACKToACK
		tc.HandshakeRTT = &d
	}
}

// gaps counts the runs of a direction's bytes the capture never holds.
func gaps(segs []msgSeg, frame []int) int {
	if len(segs) == 0 {
		return 0
	}
	base := segs[0].seq
	segs = slices.Clone(segs)
	slices.SortStableFunc(segs, func(a, b msgSeg) int { return cmp.Compare(int32(a.seq-base), int32(b.seq-base)) })
	n, in := 0, false
	for _, s := range segs {
		miss := true
		for _, o := range s.copies {
			miss = miss && frame[o] == 0
		}
		if miss && !in {
			n++
		}
		in = miss
	}
	return n
}
