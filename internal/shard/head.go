package shard

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
)

// Heads: the splitter parses every packet's IP and TCP header anyway, so
// what tshark would print of it (time, addresses, ports, relative
// sequence and acknowledgement numbers, flags) need not be printed: tshark
// is asked only for what only it knows (its analysis flags, reassembly and
// HTTP fields) and its rows are joined to these records by frame number.
// Printing the 9 header columns was ~19% of tshark's CPU on pcapmeter's
// HTTP rows (issue 15).

// Header is what the splitter read of one packet sent to a shard, as tshark
// would print it from that shard.
type Header struct {
	// Frame is the packet's frame number in the shard (1-based).
	Frame int64
	// Stream is the shard-local connection (tcp.stream in the shard's
	// tshark); -1 for a packet that is not plain TCP.
	Stream int64
	// Time is frame.time_epoch in nanoseconds, as written to the shard.
	Time     int64
	Src, Dst netip.AddrPort
	// Seq and Ack are relative as tshark makes them (tcp.seq, tcp.ack);
	// Ack is the raw field when the ACK flag is not set.
	Seq, Ack uint32
	// Flags is tcp.flags: the 12 bits after the data offset.
	Flags uint16
}

// head is a Header as kept until its row is read: addresses come from the
// shard's flow, so a record costs 32 bytes.
type head struct {
	frame  uint32
	stream int32 // -1: not plain TCP
	time   int64
	seq    uint32
	ack    uint32
	flags  uint16
	dir    uint8 // 0: from the flow's A side
}

// relBase is one shard-local connection's anchors of tshark's relative
// numbers, per direction (0: from the flow's A side).
type relBase struct {
	base [2]uint32
	set  [2]bool
}

// relative turns a packet's raw numbers into tshark's relative ones,
// anchoring each direction as tshark's sequence analysis does: at its
// first segment (the SYN's number, else one before the first segment's,
// so that a capture begun mid-connection starts at 1), or, for the peer
// of a first segment that acknowledges, one before that acknowledgement.
func (rb *relBase) relative(d int, p pkt) (seq, ack uint32) {
	if !rb.set[d] {
		rb.base[d], rb.set[d] = p.seq-1, true
		if p.flags&0x02 != 0 {
			rb.base[d] = p.seq
		}
	}
	if p.flags&0x10 == 0 {
		return p.seq - rb.base[d], p.ack
	}
	if !rb.set[1-d] {
		rb.base[1-d], rb.set[1-d] = p.ack-1, true
	}
	return p.seq - rb.base[d], p.ack - rb.base[1-d]
}

// headChunk is how many records one block of the queue holds; blocks are
// dropped as rows pass them, so a shard read as it is written holds few.
const headChunk = 4096

// record keeps packet frame's head when the shard records heads: every
// packet that can be an HTTP row (http1.DisplayFilter): TCP with payload
// (or a length the IP header does not give), SYN, FIN or RST, and
// everything that is not plain TCP. Every TCP packet sent moves its
// connection's relative anchors. Called with o.mu held.
func (o *Out) record(frame int64, fs *flowState, p pkt, ci gopacket.CaptureInfo) {
	h := head{frame: uint32(frame), stream: -1, time: shardTime(ci.Timestamp)}
	if fs != nil {
		for int64(len(o.rel)) <= fs.local {
			o.rel = append(o.rel, relBase{})
		}
		// Directions as the flow names them (A: its first packet's
		// source), which is how Header gives the addresses back.
		d := 0
		if p.src != o.flows.at(fs.local).A {
			d = 1
		}
		h.seq, h.ack = o.rel[fs.local].relative(d, p)
		if p.payload == 0 && p.flags&0x07 == 0 {
			return
		}
		h.stream, h.dir, h.flags = int32(fs.local), uint8(d), p.flags12
	}
	if o.hf != nil {
		o.hf.put(h)
		return
	}
	if n := len(o.heads); n == 0 || len(o.heads[n-1]) == headChunk {
		o.heads = append(o.heads, make([]head, 0, headChunk))
	}
	last := &o.heads[len(o.heads)-1]
	*last = append(*last, h)
}

// shardTime is a timestamp as the shard's nanosecond pcap carries it
// (pcapgo writes the seconds as an unsigned 32-bit field, tshark reads
// them back so).
func shardTime(t time.Time) int64 {
	return int64(uint32(t.Unix()))*1e9 + int64(t.Nanosecond())
}

// Header returns the record of shard frame n. Rows come in frame order, so
// it consumes the records up to n: asking again for n or an earlier frame
// answers false. It answers false too for a frame the splitter kept no
// record of (a packet it judged no possible row, or heads not recorded).
func (o *Out) Header(n int64) (Header, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.hf != nil {
		h, ok := o.hf.find(n)
		if !ok {
			return Header{}, false
		}
		return o.expand(h), true
	}
	for len(o.heads) > 0 {
		blk := o.heads[0]
		i := o.headAt
		for i < len(blk) && int64(blk[i].frame) < n {
			i++
		}
		if i == len(blk) && (len(o.heads) > 1 || len(blk) == headChunk) {
			// Every record in it passed.
			o.heads[0] = nil
			o.heads, o.headAt = o.heads[1:], 0
			continue
		}
		o.headAt = i
		if i == len(blk) || int64(blk[i].frame) != n {
			return Header{}, false
		}
		o.headAt++
		return o.expand(blk[i]), true
	}
	return Header{}, false
}

// expand makes a record a Header, its addresses from the flow.
func (o *Out) expand(h head) Header {
	out := Header{Frame: int64(h.frame), Stream: int64(h.stream), Time: h.time, Seq: h.seq, Ack: h.ack, Flags: h.flags}
	if h.stream >= 0 {
		fl := o.flows.at(int64(h.stream))
		out.Src, out.Dst = fl.A, fl.B
		if h.dir == 1 {
			out.Src, out.Dst = fl.B, fl.A
		}
	}
	return out
}

// String is for test messages.
func (h Header) String() string {
	return fmt.Sprintf("frame %d stream %d %s→%s seq %d ack %d flags %#04x time %d", h.Frame, h.Stream, h.Src, h.Dst, h.Seq, h.Ack, h.Flags, h.Time)
}
