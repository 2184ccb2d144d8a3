// Package shard splits a capture by TCP connection so that several tshark
// processes can dissect it in parallel: tshark is single-threaded and
// holds ~0.65 kB per packet, so one process per capture uses one core and
// memory that grows with the file. Both directions of a connection (and
// every reuse of its ports) go to the same shard; everything that is not
// plain TCP goes to shard 0. For each shard it records what is needed to
// translate tshark's shard-local numbers back to the original file: the
// original frame number of every packet and the global tcp.stream index of
// every connection (numbered as tshark numbers them: by first appearance,
// with a new stream when a SYN on known ports carries another initial
// sequence number).
package shard

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrUnsupported says the capture cannot be split here (a link type or
// packet shape this reader does not parse); callers fall back to a single
// tshark over the whole file, which is always correct.
var ErrUnsupported = errors.New("capture cannot be split by flow")

// Flow is one TCP connection as tshark will number it.
type Flow struct {
	Global int64 // tcp.stream in a single tshark run over the whole file
	A, B   netip.AddrPort
}

// Out receives one shard's packets.
type Out struct {
	W io.Writer // usually tshark's stdin

	mu sync.Mutex
	// frames holds the original frame number of shard frame i+1; 32 bits
	// as in tshark itself (frame numbers are guint32 there), which halves
	// the biggest thing a pass holds per packet.
	frames []uint32
	flows  []Flow // shard-local stream j
	pw     *pcapgo.Writer
	bw     *bufio.Writer
	q      *queue
	// traceStreams (tests only) records each TCP packet's global stream in
	// streams, to compare with tshark's tcp.stream frame by frame.
	traceStreams bool
	streams      []int64
}

// queue hands copies of written bytes to a shard's own writer goroutine.
type queue struct {
	ch  chan *[]byte
	mu  sync.Mutex
	err error
}

// chunks recycles the queues' copies: a 10 GB capture would otherwise
// leave 40,000 quarter-megabyte buffers for the garbage collector.
var chunks = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// chunkSize is what each shard's bufio.Writer hands the queue at a time.
const chunkSize = 256 << 10

// queueChunks bounds a shard's queue (queueChunks × chunkSize bytes).
const queueChunks = 16

func (q *queue) Write(p []byte) (int, error) {
	if err := q.getErr(); err != nil {
		return 0, err
	}
	b := chunks.Get().(*[]byte)
	*b = append((*b)[:0], p...)
	q.ch <- b
	return len(p), nil
}

func (q *queue) setErr(err error) {
	q.mu.Lock()
	q.err = err
	q.mu.Unlock()
}

func (q *queue) getErr() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// Frame returns the original frame number of shard frame n (1-based).
func (o *Out) Frame(n int64) (int64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n < 1 || n > int64(len(o.frames)) {
		return 0, false
	}
	return int64(o.frames[n-1]), true
}

// Release drops the frame map once the shard is dissected and every
// number in it translated; Frame answers false afterwards.
func (o *Out) Release() {
	o.mu.Lock()
	o.frames = nil
	o.mu.Unlock()
}

// Flow returns the connection tshark numbers j within the shard.
func (o *Out) Flow(j int64) (Flow, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if j < 0 || j >= int64(len(o.flows)) {
		return Flow{}, false
	}
	return o.flows[j], true
}

type tuple struct{ a, b netip.AddrPort } // a < b

// flowState is one connection tuple. base holds, per direction (0: from
// the tuple's a side), the sequence number tshark anchors that direction
// at: the first segment's, or the ACK of a SYN/ACK minus one for the other
// side. A SYN (without ACK) carrying another sequence number is a new
// connection on the same ports for tshark, closed or not
// (TestStreamNumberingMatchesTshark checks the cases against tshark).
type flowState struct {
	global  int64
	shard   int
	base    [2]uint32
	baseSet [2]bool
}

// observe updates the anchors with a packet going in direction d.
func (fs *flowState) observe(d int, p pkt) {
	if !fs.baseSet[d] {
		fs.base[d], fs.baseSet[d] = p.seq, true
	}
	if p.flags&0x12 == 0x12 && !fs.baseSet[1-d] { // SYN/ACK
		fs.base[1-d], fs.baseSet[1-d] = p.ack-1, true
	}
}

var seed = maphash.MakeSeed()

// Split reads path (pcap or pcapng, optionally gzip-compressed) once and
// writes every packet whose shard (of k) is in outs to that shard, as a
// pcap with the original timestamps. progress, if set, is called with the
// bytes of the file read so far. Packets of other shards are skipped, so
// shards can be produced in several passes over the file.
func Split(ctx context.Context, path string, k int, outs map[int]*Out, progress func(int64)) (truncated bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	counted := &countingReader{r: f}
	var r io.Reader = bufio.NewReaderSize(counted, 1<<20)
	br := r.(*bufio.Reader)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return false, err
		}
		r = bufio.NewReaderSize(zr, 1<<20)
		br = r.(*bufio.Reader)
	}
	next, link, snap, err := open(br)
	if err != nil {
		return false, err
	}
	// Each shard's bytes go through a queue and a goroutine of their
	// own: one producer writing straight into several pipes would wait on
	// whichever tshark is momentarily slowest while the others starve,
	// which serialises them. The queues (4 MiB each) absorb that.
	var wg sync.WaitGroup
	for _, o := range outs {
		q := &queue{ch: make(chan *[]byte, queueChunks)}
		wg.Add(1)
		go func(o *Out) {
			defer wg.Done()
			for b := range q.ch {
				if q.getErr() == nil {
					if _, err := o.W.Write(*b); err != nil {
						q.setErr(err)
					}
				}
				chunks.Put(b)
			}
		}(o)
		o.q = q
		o.bw = bufio.NewWriterSize(q, chunkSize)
		o.pw = pcapgo.NewWriterNanos(o.bw)
		if err := o.pw.WriteFileHeader(snap, link); err != nil {
			return false, err
		}
	}
	defer func() {
		for _, o := range outs {
			close(o.q.ch)
		}
		wg.Wait()
		for _, o := range outs {
			if qerr := o.q.getErr(); qerr != nil && err == nil {
				err = qerr
			}
		}
	}()
	flows := map[tuple]*flowState{}
	var nflows int64
	var frame int64
	lastReport := time.Now()
	for {
		data, ci, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A capture cut short: what was read is delivered, and the
			// caller says the result is partial, as tshark would.
			if errors.Is(err, io.ErrUnexpectedEOF) {
				truncated = true
				break
			}
			// Anything else this reader cannot follow (a second link type
			// in a pcapng, a block it does not parse, damage) is for tshark
			// to read or to report.
			return false, fmt.Errorf("%w: reading %s: %v", ErrUnsupported, path, err)
		}
		frame++
		if frame > math.MaxUint32 {
			// Beyond tshark's own frame numbering.
			return false, fmt.Errorf("%w: more than %d packets", ErrUnsupported, uint32(math.MaxUint32))
		}
		if frame&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if progress != nil && time.Since(lastReport) > 100*time.Millisecond {
				progress(counted.n)
				lastReport = time.Now()
			}
		}
		p, err := parseTCP(link, data)
		if err != nil {
			return false, err
		}
		s := 0
		var fs *flowState
		if p.ok {
			t := tuple{p.src, p.dst}
			if t.b.Addr().Less(t.a.Addr()) || (t.a.Addr() == t.b.Addr() && t.b.Port() < t.a.Port()) {
				t.a, t.b = t.b, t.a
			}
			d := 0
			if p.src != t.a {
				d = 1
			}
			fs = flows[t]
			syn := p.flags&0x02 != 0 && p.flags&0x10 == 0
			if fs == nil {
				h := maphash.Comparable(seed, t)
				fs = &flowState{global: nflows, shard: int(h % uint64(k))}
				nflows++
				flows[t] = fs
				fs.register(outs, p)
			} else if syn && fs.baseSet[d] && p.seq != fs.base[d] {
				// Port reuse (or a capture that began mid-connection):
				// tshark starts a new stream here.
				fs.global, fs.baseSet = nflows, [2]bool{}
				nflows++
				fs.register(outs, p)
			}
			fs.observe(d, p)
			s = fs.shard
		}
		o := outs[s]
		if o == nil {
			continue
		}
		if o.traceStreams && fs != nil {
			o.streams = append(o.streams, fs.global)
		}
		o.mu.Lock()
		o.frames = append(o.frames, uint32(frame))
		o.mu.Unlock()
		if err := o.pw.WritePacket(ci, data); err != nil {
			return false, fmt.Errorf("shard %d: %w", s, err)
		}
	}
	if progress != nil {
		progress(counted.n)
	}
	for _, o := range outs {
		if err := o.bw.Flush(); err != nil {
			return truncated, err
		}
	}
	return truncated, nil
}

// EstimatePackets guesses how many packets path holds from the size of its
// first packets and the file's size (compressed files count 3× their size).
// It reads at most a few thousand packets.
func EstimatePackets(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	br := bufio.NewReaderSize(f, 1<<20)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, err
		}
		r, size = zr, size*3
	}
	next, _, _, err := open(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return 0, err
	}
	var n, bytes int64
	for n < 5000 {
		data, _, err := next()
		if err != nil {
			break
		}
		n++
		bytes += int64(len(data)) + 32 // record header and padding
	}
	if n == 0 {
		return 0, nil
	}
	return size * n / bytes, nil
}

func (fs *flowState) register(outs map[int]*Out, p pkt) {
	if o := outs[fs.shard]; o != nil {
		o.mu.Lock()
		o.flows = append(o.flows, Flow{Global: fs.global, A: p.src, B: p.dst})
		o.mu.Unlock()
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// packetSource returns the next packet. Its bytes are the reader's own and
// valid only until the next call: Split copies them straight into a
// shard's buffer, and a per-packet allocation was the splitter's biggest
// cost (each pass reads every packet of the file).
type packetSource func() ([]byte, gopacket.CaptureInfo, error)

func open(br *bufio.Reader) (packetSource, layers.LinkType, uint32, error) {
	magic, _ := br.Peek(4)
	if len(magic) == 4 && binary.BigEndian.Uint32(magic) == 0x0A0D0D0A {
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{ErrorOnMismatchingLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return ng.ZeroCopyReadPacketData, ng.LinkType(), 262144, nil
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	snap := pr.Snaplen()
	if snap == 0 || snap < 65535 {
		snap = 262144
	}
	return pr.ZeroCopyReadPacketData, pr.LinkType(), snap, nil
}

type pkt struct {
	ok       bool // a plain TCP packet
	src, dst netip.AddrPort
	flags    uint8
	seq, ack uint32
}

// parseTCP finds the IP and TCP headers of a packet. Anything that is not
// plain TCP over IPv4/IPv6 returns ok = false (it goes to shard 0); shapes
// whose flow cannot be told (IP fragments, IPv6 extension headers) return
// ErrUnsupported.
func parseTCP(link layers.LinkType, b []byte) (pkt, error) {
	var ip []byte
	switch link {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return pkt{}, nil
		}
		et, off := binary.BigEndian.Uint16(b[12:]), 14
		for (et == 0x8100 || et == 0x88a8) && len(b) >= off+4 {
			et, off = binary.BigEndian.Uint16(b[off+2:]), off+4
		}
		if et != 0x0800 && et != 0x86DD {
			return pkt{}, nil
		}
		ip = b[off:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return pkt{}, nil
		}
		ip = b[4:]
	case layers.LinkTypeRaw, layers.LinkType(12), layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		ip = b
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return pkt{}, nil
		}
		ip = b[16:]
	case layers.LinkType(276): // Linux SLL2
		if len(b) < 20 {
			return pkt{}, nil
		}
		ip = b[20:]
	default:
		return pkt{}, fmt.Errorf("%w: link type %d", ErrUnsupported, link)
	}
	if len(ip) < 1 {
		return pkt{}, nil
	}
	var p pkt
	var tcp []byte
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 {
			return pkt{}, nil
		}
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 6 {
			return pkt{}, nil
		}
		if frag := binary.BigEndian.Uint16(ip[6:]); frag&0x3fff != 0 {
			return pkt{}, fmt.Errorf("%w: fragmented TCP", ErrUnsupported)
		}
		if len(ip) < ihl+20 {
			return pkt{}, nil
		}
		src, _ := netip.AddrFromSlice(ip[12:16])
		dst, _ := netip.AddrFromSlice(ip[16:20])
		tcp = ip[ihl:]
		p.src, p.dst = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp)), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:]))
	case 6:
		if len(ip) < 40 {
			return pkt{}, nil
		}
		next, off := ip[6], 40
		// Walk hop-by-hop, routing and destination options headers to the
		// transport header; a fragment header ends the walk.
		for next == 0 || next == 43 || next == 60 {
			if len(ip) < off+8 {
				return pkt{}, nil
			}
			next, off = ip[off], off+8+int(ip[off+1])*8
		}
		if next == 44 {
			return pkt{}, fmt.Errorf("%w: IPv6 fragments", ErrUnsupported)
		}
		if next != 6 || len(ip) < off+20 {
			return pkt{}, nil
		}
		src, _ := netip.AddrFromSlice(ip[8:24])
		dst, _ := netip.AddrFromSlice(ip[24:40])
		tcp = ip[off:]
		p.src, p.dst = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp)), netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:]))
	default:
		return pkt{}, nil
	}
	p.seq = binary.BigEndian.Uint32(tcp[4:])
	p.ack = binary.BigEndian.Uint32(tcp[8:])
	p.flags = tcp[13]
	p.ok = true
	return p, nil
}
