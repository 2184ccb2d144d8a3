// Package handshake follows one TCP connection's three-way handshake and
// measures the exchange that completed it. When a SYN or SYN/ACK is lost
// and resent, the time from the first SYN includes a retransmission
// timeout; the round trip users mean (and tcptrace reports) runs from the
// last SYN to its answer and from the SYN/ACK the client acknowledged to
// that ACK. The time from the first SYN is kept apart as the connect time,
// with the retransmitted SYNs and SYN/ACKs counted. tcpconn and tracesum
// both use it so that `tcp` and `summary` agree on the same file.
package handshake

import "github.com/pcapmeter/pcapmeter/parse"

// Tracker follows one connection. Directions are 0 and 1, as the caller
// numbers them; the sender of the first SYN without ACK is the client.
// The zero value is not ready: use New.
type Tracker struct {
	client            int
	syns, synAcks     int
	firstSyn, lastSyn parse.Time
	answered          bool // the last SYN has had its SYN/ACK
	s2sa              float64
	hasS2SA           bool
	lastSA            parse.Time
	ack               parse.Time
	done              bool
	sa2ack            float64
}

// New returns a Tracker that has seen nothing.
func New() Tracker { return Tracker{client: -1} }

// Add accounts one segment sent in direction d with TCP flags flags at t;
// segments after the handshake's ACK change nothing.
func (h *Tracker) Add(d int, flags uint16, t parse.Time) {
	if h.done {
		return
	}
	syn, ack := flags&parse.FlagSYN != 0, flags&parse.FlagACK != 0
	switch {
	case syn && !ack:
		if h.client < 0 {
			h.client = d
		}
		if d != h.client {
			return // simultaneous open: not measured
		}
		if h.syns == 0 {
			h.firstSyn = t
		}
		h.syns++
		h.lastSyn, h.answered = t, false
	case syn && ack:
		if h.client < 0 || d == h.client {
			return
		}
		h.synAcks++
		h.lastSA = t
		if !h.answered {
			h.s2sa, h.hasS2SA, h.answered = t.Sub(h.lastSyn), true, true
		}
	case ack && d == h.client && h.synAcks > 0:
		h.done, h.ack, h.sa2ack = true, t, t.Sub(h.lastSA)
	}
}

// Done says the handshake's ACK has been seen: later segments change
// nothing, so a caller may keep Result and drop the Tracker.
func (h *Tracker) Done() bool { return h.done }

// Client is the direction that sent the SYN, or -1.
func (h *Tracker) Client() int { return h.client }

// Handshake is what a Tracker measured; seconds.
type Handshake struct {
	// HasSynAck: a SYN and its SYN/ACK were seen; SynToSynAck runs from
	// the last SYN before the SYN/ACK to the first SYN/ACK after it.
	HasSynAck   bool
	SynToSynAck float64
	// Complete: the client's ACK of a SYN/ACK was seen too; SynAckToAck
	// runs from the last SYN/ACK before it, RTT is the sum of the halves
	// and Connect runs from the first SYN, timeouts included.
	Complete    bool
	SynAckToAck float64
	RTT         float64
	Connect     float64
	// Ack is the handshake ACK's time (with Complete).
	Ack parse.Time
	// RetransmittedSYNs and RetransmittedSynAcks count the captured
	// copies after the first.
	RetransmittedSYNs, RetransmittedSynAcks int
}

// Result returns the measurement so far.
func (h *Tracker) Result() Handshake {
	r := Handshake{HasSynAck: h.hasS2SA, SynToSynAck: h.s2sa,
		RetransmittedSYNs: max(h.syns-1, 0), RetransmittedSynAcks: max(h.synAcks-1, 0)}
	if h.done && h.hasS2SA {
		r.Complete, r.SynAckToAck, r.Ack = true, h.sa2ack, h.ack
		r.RTT = h.s2sa + h.sa2ack
		r.Connect = h.ack.Sub(h.firstSyn)
	}
	return r
}
