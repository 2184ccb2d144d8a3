package shard

// Thinning: most of a capture's packets are pure ACKs (no payload, no
// SYN, FIN or RST), which carry no HTTP and which pcapmeter's rows never
// show (http1.DisplayFilter drops them), yet tshark spends ~17% of its time
// on them. What tshark does with them is its sequence analysis of the
// other packets: a retransmission is told from an out-of-order segment by
// the peer's duplicate ACKs (fast retransmission) and by the first round
// trip, a zero-window probe by the peer's window, and the stream's
// relative sequence numbers start at a direction's first packet. So an ACK
// is dropped only when it is the plain, uneventful kind: it acknowledges
// everything the peer has sent, at the sequence number its own direction
// has reached, with the window of its direction's previous packet, after
// the connection has carried payload. Everything else (duplicate ACKs and
// the one they repeat, window updates, zero windows, ACKs behind or ahead
// of the peer, keep-alives, ECN) reaches tshark, and so does the first
// plain ACK after any of them. TestThinRowsIdentical compares tshark's
// rows with and without thinning on the project's and the public lossy
// captures.

// dirState is what thinning remembers of one direction of a connection.
type dirState struct {
	seen     bool
	end      uint32 // highest sequence number reached (seq + payload + SYN/FIN)
	ack      uint32 // the previous packet's acknowledgement number
	win      uint16 // and window
	hasAck   bool
	eventful bool // the previous packet was a pure ACK kept for what it says
}

// seqAfter is sequence-space a > b (RFC 1982 serial arithmetic).
func seqAfter(a, b uint32) bool { return int32(a-b) > 0 }

// thin reports whether packet p, going in direction d of its connection
// (whose state fs is), can be left out of the shard, and updates fs with
// it either way.
func (fs *thinState) thin(d int, p pkt) bool {
	if fs.opaque {
		return false
	}
	me, peer := &fs.dirs[d], &fs.dirs[1-d]
	pure := p.payload == 0 && p.flags&^0x08 == 0x10 // ACK, maybe PSH, nothing else
	plain := pure && me.seen && fs.data && me.hasAck &&
		p.seq == me.end && peer.seen && p.ack == peer.end &&
		p.win == me.win && p.win != 0 && p.ack != me.ack && !me.eventful
	me.eventful = pure && !plain
	end := p.seq
	if p.payload > 0 {
		end += uint32(p.payload)
		fs.data = true
	}
	if p.flags&0x03 != 0 { // SYN or FIN take a sequence number
		end++
	}
	if !me.seen || seqAfter(end, me.end) {
		me.end = end
	}
	me.seen = true
	me.ack, me.win, me.hasAck = p.ack, p.win, p.flags&0x10 != 0
	// A length the IP header does not give: nothing on this connection
	// is judged plain any more.
	fs.opaque = p.payload < 0
	return plain
}
