package synth

import "time"

// lostCaptured says whether a packet the network loses is in the capture:
// at the sender's host it always is (captured before the network can lose
// it), at the receiver's never, in between as Config.LossAfterTap says.
func (g *gen) lostCaptured(fromCli bool) bool {
	switch {
	case g.cfg.Tap == 0:
		return fromCli
	case g.cfg.Tap == 1:
		return !fromCli
	}
	return g.cfg.LossAfterTap
}

// handshake sends the SYNs, SYN/ACKs and the ACK of connection cm from
// t0, losing what the events say, and returns when the client's ACK
// left. The client retransmits its SYN on a doubling timer until a
// SYN/ACK arrives; the server retransmits its SYN/ACK on its own doubling
// timer, and at once when a repeated SYN arrives. Neither side waits
// before answering, so a clean handshake is SYN at t0, SYN/ACK at t0+RTT
// and the ACK 20 µs later.
func (g *gen) handshake(cm *connMeta, t0 int64, cISN, sISN uint32) int64 {
	cfg := g.cfg
	c := cm.c
	rtt := int64(cfg.RTT)
	half := rtt / 2
	synLost, saLost := g.ix.handshake(c)
	if synLost == 0 && saLost == 0 {
		syn := g.add(pkt{t: t0, conn: c, fromCli: true, seq: cISN, flags: fSYN})
		sa := g.add(pkt{t: t0 + rtt, conn: c, seq: sISN, ack: cISN + 1, flags: fSYN | fACK})
		ack := g.add(pkt{t: t0 + rtt + 20_000, conn: c, fromCli: true, seq: cISN + 1, ack: sISN + 1, flags: fACK, keep: true})
		cm.syns, cm.synack, cm.ack, cm.completing = []int{syn}, []int{sa}, ack, sa
		cm.answered[sa] = syn
		return t0 + rtt + 20_000
	}
	synRTO, saRTO := int64(cfg.SynRTO), int64(cfg.SynAckRTO)
	if synRTO == 0 {
		synRTO = int64(time.Second)
	}
	if saRTO == 0 {
		saRTO = int64(time.Second)
	}
	// The client's k-th SYN leaves at attempt(k).
	attempt := func(k int) int64 { return t0 + synRTO*(int64(1)<<k-1) }
	sas := synackSchedule(attempt, synLost, saLost, half, saRTO)
	arrival := sas[len(sas)-1].at + half // the surviving SYN/ACK at the client
	synOrder := map[int]int{}
	for k := 0; attempt(k) < arrival; k++ {
		lost := k < synLost
		o := g.add(pkt{t: attempt(k), conn: c, fromCli: true, seq: cISN, flags: fSYN})
		g.pkts[o].dropped = lost && !g.lostCaptured(true)
		cm.syns = append(cm.syns, o)
		synOrder[k] = o
		if k > 0 && !lost && attempt(k)+half > sas[len(sas)-1].at {
			// A repeated SYN reaching the server after its last
			// SYN/ACK left: answered again, and acknowledged again.
			sa := g.add(pkt{t: attempt(k) + rtt, conn: c, seq: sISN, ack: cISN + 1, flags: fSYN | fACK})
			cm.synack = append(cm.synack, sa)
			cm.answered[sa] = o
			g.add(pkt{t: attempt(k) + rtt + 20_000, conn: c, fromCli: true, seq: cISN + 1, ack: sISN + 1, flags: fACK, keep: true})
		}
	}
	for j, sa := range sas {
		o := g.add(pkt{t: sa.at + half, conn: c, seq: sISN, ack: cISN + 1, flags: fSYN | fACK})
		g.pkts[o].dropped = j < saLost && !g.lostCaptured(false)
		cm.synack = append(cm.synack, o)
		if sa.syn >= 0 {
			cm.answered[o] = synOrder[sa.syn]
		}
		cm.completing = o
	}
	ack := arrival + 20_000
	cm.ack = g.add(pkt{t: ack, conn: c, fromCli: true, seq: cISN + 1, ack: sISN + 1, flags: fACK, keep: true})
	return ack
}

// synack is a SYN/ACK the server sends, in server time, with the SYN
// attempt that made it send it (-1: its timer).
type synack struct {
	at  int64
	syn int
}

// synackSchedule returns the server's SYN/ACKs up to the first that
// survives: the first answers the first SYN to arrive (attempt synLost);
// each lost one is followed by the server's doubling timer or by the
// client's next SYN, whichever reaches it first.
func synackSchedule(attempt func(int) int64, synLost, saLost int, half, saRTO int64) []synack {
	var sas []synack
	s, trig, next := attempt(synLost)+half, synLost, synLost+1
	for j := 0; ; j++ {
		sas = append(sas, synack{s, trig})
		if j >= saLost {
			return sas
		}
		timer := s + saRTO<<j
		if dup := attempt(next) + half; dup < timer {
			s, trig = dup, next
			next++
		} else {
			s, trig = timer, -1
		}
	}
}
