package http2

import "net/netip"

// BlindTLS is a decrypted HTTP/2 connection whose records tshark stopped
// reading: a segment the capture lacks desynchronises TLS decryption (the
// record sequence numbers behind each nonce are implicit), so every
// record after it stays encrypted and the exchanges it carried are in no
// report, not even as unanswered.
type BlindTLS struct {
	Client netip.AddrPort `json:"client"`
	Server netip.AddrPort `json:"server"`
	// From is the first frame of the longest run of segments nothing was
	// read from; Segments counts the segments of every such run.
	From     int64 `json:"from_frame"`
	Segments int   `json:"segments"`
}

// blindRun is how many payload segments in a row, on a decrypted HTTP/2
// connection, must yield nothing before they count as unreadable: an
// HTTP/2 frame (16 kB by default) completes within a dozen segments of
// an Ethernet MSS, so a healthy connection shows something far sooner.
const blindRun = 32

// blindness follows one connection's runs of segments tshark read nothing
// from.
type blindness struct {
	run, total  int
	from, start int64
	longest     int
}

// see counts one payload packet: read says whether tshark read anything
// from it (an HTTP/2 frame, a reassembled PDU, a TLS Finished), first is
// the first frame of the PDU it completes (0: none). A PDU that began
// at or before the run did not leave it unread: its segments were being
// reassembled (an HTTP/2 frame larger than the default 16 kB).
func (b *blindness) see(frame int64, read bool, first int64) {
	if read {
		if first > 0 && first <= b.start {
			b.run = 0
		}
		b.end()
		return
	}
	if b.run == 0 {
		b.start = frame
	}
	b.run++
}

// end closes the current run, keeping it when it is long enough.
func (b *blindness) end() {
	if b.run >= blindRun {
		b.total += b.run
		if b.run > b.longest {
			b.longest, b.from = b.run, b.start
		}
	}
	b.run = 0
}

// blind notes packet pk of connection c, once c is decrypted HTTP/2, in
// its direction's runs: each direction has its own keys and record
// numbers, so a gap blinds one and the other still reads.
func (c *conn) blind(pk *Packet) {
	if !c.decrypted || !c.h2 {
		return
	}
	d := 0
	if pk.Src == c.server {
		d = 1
	}
	c.dark[d].see(pk.Frame, len(pk.Frames) > 0 || pk.FirstSegment > 0 || pk.Finished || pk.H1Method != "" || pk.H1Code != 0, pk.FirstSegment)
}

// flushBlind adds c to s.Blind when some of its segments were unreadable.
func (s *Stats) flushBlind(c *conn) {
	b := BlindTLS{Client: c.client, Server: c.server}
	longest := 0
	for i := range c.dark {
		d := &c.dark[i]
		d.end()
		b.Segments += d.total
		if d.total > 0 && d.longest > longest {
			longest, b.From = d.longest, d.from
		}
	}
	if b.Segments > 0 {
		s.Blind = append(s.Blind, b)
	}
}
