// Package shard splits a capture by TCP connection so that several tshark
// processes can dissect it in parallel: tshark is single-threaded and
// holds ~0.65 kB per packet, so one process per capture uses one core and
// memory that grows with the file. Both directions of a connection (and
// every reuse of its ports) go to the same shard; everything that is not
// plain TCP goes to shard 0, or by address pair where the analysis allows
// (other.go). For each shard it records what is needed to
// translate tshark's shard-local numbers back to the original file: the
// original frame number of every packet and the global tcp.stream index of
// every connection (numbered as tshark numbers them: by first appearance,
// with a new stream when a SYN on known ports carries another initial
// sequence number).
//
// The file is opened through capfile, the one place that reads capture
// signatures and undoes gzip; source.go picks the pcap or pcapng reader,
// tcphdr.go finds the TCP header of each packet, flows.go numbers and
// routes connections, other.go spreads the rest, queue.go feeds each shard's tshark on its own
// goroutine.
package shard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
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
	// Thin leaves out the pure ACKs tshark's HTTP rows do not depend on
	// (thin.go); frame numbers still translate to the original file's.
	Thin bool
	// NoFrames keeps no frame map (Frame answers false): for analyses
	// that translate no frame numbers, the map being the one thing a
	// split holds per packet.
	NoFrames bool
	// Only, if set, keeps just the packets of these connections (global
	// tcp.stream numbers): a pass that re-reads a few connections has
	// tshark dissect them alone instead of the whole file.
	Only map[int64]bool
	// Heads keeps, for Header, the header of every packet that can be an
	// HTTP row (head.go), so that tshark need not print it.
	Heads bool
	// HeadFile, if set, holds the records instead of memory (headfile.go):
	// for a shard dissected only after the read. It is written from its
	// current offset during Split and read back with ReadAt from offset 0.
	HeadFile interface {
		io.Writer
		io.ReaderAt
	}
	// Watch, if set, sees every packet written to the shard, with its
	// shard-local frame number, on the split's goroutine (data is reused
	// after the call): for an analysis that reads headers itself (watch.go).
	Watch Watcher
	// WatchFrames, if set, is Watch with the original frame number too.
	WatchFrames FrameWatcher
	written     int64 // packets shown to Watch or WatchFrames

	mu sync.Mutex
	// frames holds the original frame number of shard frame i+1; 32 bits
	// as in tshark itself (frame numbers are guint32 there), which halves
	// the biggest thing a pass holds per packet.
	frames []uint32
	flows  flowList // shard-local stream j
	// heads are the records Header has not passed yet, in blocks, the
	// first from headAt; rel the relative anchors of each local stream.
	heads  [][]head
	headAt int
	rel    []relBase
	hf     *headFile
	pw     *pcapgo.Writer
	bw     *bufio.Writer
	q      *queue
	// traceStreams (tests only) records each TCP packet's global stream in
	// streams, to compare with tshark's tcp.stream frame by frame.
	traceStreams bool
	streams      []int64
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

// Packets is how many packets the shard has been sent so far.
func (o *Out) Packets() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return int64(len(o.frames))
}

// Release drops the frame map once the shard is dissected and every
// number in it translated; Frame answers false afterwards.
func (o *Out) Release() {
	o.mu.Lock()
	o.frames, o.heads, o.rel, o.hf = nil, nil, nil, nil
	o.mu.Unlock()
}

// Flows is how many connections the shard has been sent so far.
func (o *Out) Flows() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flows.len()
}

// Flow returns the connection tshark numbers j within the shard.
func (o *Out) Flow(j int64) (Flow, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if j < 0 || j >= o.flows.len() {
		return Flow{}, false
	}
	return o.flows.at(j), true
}

// Split reads path (pcap or pcapng, optionally gzip-compressed) once and
// writes every packet whose shard (of k) is in outs to that shard, as a
// pcap with the original timestamps. progress, if set, is called with the
// bytes of the file read so far. Packets of other shards are skipped, so
// shards can be produced in several passes over the file.
func Split(ctx context.Context, path string, k int, outs map[int]*Out, progress func(int64)) (truncated bool, err error) {
	return split(ctx, path, k, outs, progress, mode{})
}

// SplitProbing is Split that also fills pr with what ProbeFile would find
// in the same read, so that a caller needing both reads the file once
// (ProbeFile was a second read of every packet, beside the split's). pr
// is complete only when the split returns a nil error: a split that fails
// has not read the file to its end, and its caller probes the file again.
// A capture cut short counts what was read, as ProbeFile does.
func SplitProbing(ctx context.Context, path string, k int, outs map[int]*Out, progress func(int64), pr *Probe) (truncated bool, err error) {
	if pr.QUIC == nil {
		pr.QUIC = map[netip.AddrPort]int{}
	}
	return split(ctx, path, k, outs, progress, mode{probe: pr, probeSeen: map[[2]netip.AddrPort]bool{}})
}

// mode is how a split routes packets beyond Split's default (by
// connection, every packet).
type mode struct {
	observe Observer
	ranges  int64 // packets per shard, routed by number (router.ranges)
	skipTCP bool
	spread  bool        // what is not plain TCP by address pair (other.go)
	packets func(int64) // told the packets read, with progress
	// stopAfter, when above 0, ends the read after that frame: a read for
	// one range has nothing to send beyond it.
	stopAfter int64
	// probe, if set, is shown every packet read (SplitProbing), with the
	// QUIC pairs seen so far.
	probe     *Probe
	probeSeen map[[2]netip.AddrPort]bool
}

// Observer sees a packet's capture record (its timestamp, captured and
// original length) as the splitter reads it.
type Observer func(ci gopacket.CaptureInfo)

// split is Split routing as m says, showing every packet read to
// m.observe (if set) before it is routed.
func split(ctx context.Context, path string, k int, outs map[int]*Out, progress func(int64), m mode) (truncated bool, err error) {
	in, err := openCapture(path)
	if err != nil {
		return false, err
	}
	defer in.Close()
	next, link, snap, err := packets(in)
	if err != nil {
		return false, err
	}
	stop, err := startWriters(outs, snap, link)
	defer func() {
		if werr := stop(); werr != nil && err == nil {
			err = werr
		}
	}()
	if err != nil {
		return false, err
	}
	for _, o := range outs {
		if o.Heads && o.HeadFile != nil {
			o.hf = &headFile{w: bufio.NewWriterSize(o.HeadFile, 64<<10), src: o.HeadFile}
		}
	}
	r := &router{k: k, outs: outs, flows: map[tuple4]uint32{}, ranges: m.ranges, skipTCP: m.skipTCP}
	if m.spread {
		r.pairs = map[pairKey]int{}
	}
	tick := ticker{ctx: ctx, progress: progress, packets: m.packets, in: in, last: time.Now()}
	var frame int64
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
		if frame++; frame > math.MaxUint32 {
			// Beyond tshark's own frame numbering.
			return false, fmt.Errorf("%w: more than %d packets", ErrUnsupported, uint32(math.MaxUint32))
		}
		if err := tick.check(frame); err != nil {
			return false, err
		}
		if m.observe != nil {
			m.observe(ci)
		}
		if m.probe != nil {
			// A link type linkPayload refuses fails the route below, and
			// with it the split, so only a successful split's probe is used.
			if ip, err := linkPayload(link, data); err == nil {
				m.probe.packet(ip, m.probeSeen)
			}
		}
		if err := r.route(link, frame, ci, data); err != nil {
			return false, err
		}
		if frame == m.stopAfter {
			break
		}
	}
	if progress != nil {
		if m.stopAfter > 0 && frame == m.stopAfter {
			progress(in.Size) // the rest of the file is this read's too
		} else {
			progress(in.Consumed())
		}
	}
	if m.packets != nil {
		m.packets(frame)
	}
	for _, o := range outs {
		if err := o.bw.Flush(); err != nil {
			return truncated, err
		}
		if err := o.flushHeads(); err != nil {
			return truncated, err
		}
	}
	return truncated, nil
}

// ticker looks up from the split loop every 1024 packets: to stop when
// the run is cancelled, and to report progress ten times a second.
type ticker struct {
	ctx      context.Context
	progress func(int64)
	packets  func(int64)
	in       *capfile.Reader
	last     time.Time
}

func (t *ticker) check(frame int64) error {
	if frame&0x3ff != 0 {
		return nil
	}
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if (t.progress != nil || t.packets != nil) && time.Since(t.last) > 100*time.Millisecond {
		if t.progress != nil {
			t.progress(t.in.Consumed())
		}
		if t.packets != nil {
			t.packets(frame)
		}
		t.last = time.Now()
	}
	return nil
}

// EstimatePackets guesses how many packets path holds from the size of its
// first packets and the file's size (compressed files count 3× their size).
// It reads at most a few thousand packets.
func EstimatePackets(path string) (int64, error) {
	in, err := openCapture(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	size := in.Size
	if in.Compressed {
		size *= 3
	}
	next, _, _, err := packets(in)
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
