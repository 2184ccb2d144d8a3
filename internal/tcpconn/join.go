package tcpconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// The joined path: the splitter reads every plain TCP packet's headers
// anyway (shard.ReadTCP), so tshark, still dissecting every packet, prints
// only what it alone knows and each row is joined to its packet's header
// by frame number. On a 100k-packet slice of the bench capture the 33
// full columns cost tshark 2.55 s of CPU, the joined ones 1.80 s, against
// 1.55 s for dissecting without printing; on the whole 500k-packet
// capture, leaving out the display filter took them from 9.1 to 8.2 s
// (tshark -z conv,tcp: 6.2 s; loaded machine, issue 13). The join is
// exact only if tshark and the splitter agree on which frames are plain
// TCP and how connections are numbered: any frame one has and the other
// has not, a row with two TCP headers (a tunnel) or a connection numbered
// otherwise ends the joined run with errNotJoinable, and the capture is
// read again with the full rows.

// JoinFields are the columns of the joined path: the frame number joins
// a row to its header; tcp.stream is kept to check that tshark numbered
// the connections as the splitter did; tcp.len because it is tshark's own
// reading of the payload (TSO captures, whose IP header gives no length).
// There is no display filter (it cost tshark 0.9 s of 9 on the 500k bench
// capture): tcp.srcport and the ICMP types let DisplayFilter be applied
// here.
var JoinFields = append([]string{
	"frame.number", "tcp.srcport", "tcp.stream", "tcp.len", "tcp.options.mss_val", "tcp.analysis.initial_rtt",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.out_of_order",
	"tcp.analysis.lost_segment", "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
	"http.request.method",
}, append(slices.Clone(tlshs.Fields), "icmp.type", "icmpv6.type")...)

// JoinRow is one row of JoinFields.
type JoinRow struct {
	Frame      string `csv:"frame.number"`
	SrcPort    string `csv:"tcp.srcport"`
	Stream     string `csv:"tcp.stream"`
	Len        string `csv:"tcp.len"`
	MSS        string `csv:"tcp.options.mss_val"`
	InitialRTT string `csv:"tcp.analysis.initial_rtt"`
	Retrans    string `csv:"tcp.analysis.retransmission"`
	FastRetx   string `csv:"tcp.analysis.fast_retransmission"`
	OutOfOrder string `csv:"tcp.analysis.out_of_order"`
	Lost       string `csv:"tcp.analysis.lost_segment"`
	DupAck     string `csv:"tcp.analysis.duplicate_ack"`
	ZeroWindow string `csv:"tcp.analysis.zero_window"`
	Methods    string `csv:"http.request.method"`
	// The TLS columns, in tlshs.Fields' order.
	TLSTypes     string `csv:"tls.record.content_type"`
	TLSOpaque    string `csv:"tls.record.opaque_type"`
	TLSLengths   string `csv:"tls.record.length"`
	TLSMessages  string `csv:"tls.handshake.type"`
	TLSVersion   string `csv:"tls.handshake.version"`
	TLSSupported string `csv:"tls.handshake.extensions.supported_version"`
	TLSPSK       string `csv:"tls.handshake.extensions.psk.identity.selected"`
	TLSAlerts    string `csv:"tls.alert_message.desc"`
	TLSSNI       string `csv:"tls.handshake.extensions_server_name"`
	ICMP         string `csv:"icmp.type"`
	ICMPv6       string `csv:"icmpv6.type"`
}

// errNotJoinable says a shard's rows and the splitter's headers do not
// meet one to one: the capture needs the full rows.
var errNotJoinable = errors.New("rows and headers do not join")

// header is a taken packet header with its shard frame number and its
// frame number in the whole file.
type header struct {
	frame, global int64
	shard.TCPHeader
}

// globalHeader is a queued header with the packet's frame number in the
// whole file.
type globalHeader struct {
	global int64
	shard.TCPHeader
}

// headQueue is one shard's plain TCP headers, written by the splitter and
// read as tshark's rows come.
type headQueue struct {
	shard.FrameQueue[globalHeader]
}

// watch is the shard's FrameWatcher.
func (h *headQueue) watch(frame, global int64, link layers.LinkType, ci gopacket.CaptureInfo, data []byte) {
	if th, ok := shard.ReadTCP(link, ci, data); ok {
		h.Push(frame, globalHeader{global, th})
	}
}

// take returns the header of frame n; a header queued before it had no
// row, which is errNotJoinable, and so is a row without a header.
func (h *headQueue) take(n int64) (header, error) {
	th, front, queued, ok := h.Take(n)
	switch {
	case !queued:
		// tshark reads what the splitter wrote, so the header is queued
		// before the row can come.
		return header{}, fmt.Errorf("%w: frame %d has no plain TCP header", errNotJoinable, n)
	case !ok:
		return header{}, fmt.Errorf("%w: frame %d, header of frame %d", errNotJoinable, n, front)
	}
	return header{frame: n, global: th.global, TCPHeader: th.TCPHeader}, nil
}

// has says whether frame n has a header; a header queued before n had
// no row, which is errNotJoinable.
func (h *headQueue) has(n int64) (bool, error) {
	f, ok := h.Front()
	if !ok {
		return false, nil
	}
	if f < n {
		return false, fmt.Errorf("%w: frame %d has no row", errNotJoinable, f)
	}
	return f == n, nil
}

// rest says whether headers are left that no row took.
func (h *headQueue) rest() error {
	if f, ok := h.Front(); ok {
		return fmt.Errorf("%w: frame %d has no row", errNotJoinable, f)
	}
	return nil
}

// joiner completes one shard's rows with their headers.
type joiner struct {
	q   *headQueue
	out *shard.Out
	// anchors are each shard-local connection's relative numbers.
	anchors []shard.SeqAnchors
}

// parseJoinRow converts a row of JoinFields: what tshark alone knows of
// the segment, its shard frame number in Frame, and the shard-local
// connection tshark put it in.
func parseJoinRow(r *JoinRow) (s Segment, local int64, err error) {
	if s.Frame, err = strconv.ParseInt(r.Frame, 10, 64); err != nil || s.Frame <= 0 {
		return s, 0, fmt.Errorf("frame.number %q", r.Frame)
	}
	if strings.IndexByte(r.SrcPort, ',') >= 0 || strings.IndexByte(r.Stream, ',') >= 0 || strings.IndexByte(r.Len, ',') >= 0 {
		return s, 0, fmt.Errorf("%w: frame %d has two TCP headers", errNotJoinable, s.Frame)
	}
	if local, err = strconv.ParseInt(r.Stream, 10, 64); err != nil || local < 0 {
		return s, 0, fmt.Errorf("frame %d: tcp.stream %q", s.Frame, r.Stream)
	}
	if s.Len, err = optInt(r.Len); err != nil || s.Len < 0 {
		return s, 0, fmt.Errorf("frame %d: tcp.len %q", s.Frame, r.Len)
	}
	if err := s.readAnalysis(analysisCols{r.MSS, r.InitialRTT, r.Retrans, r.FastRetx, r.OutOfOrder, r.Lost, r.DupAck, r.ZeroWindow, r.Methods,
		[]string{r.TLSTypes, r.TLSOpaque, r.TLSLengths, r.TLSMessages, r.TLSVersion, r.TLSSupported, r.TLSPSK, r.TLSAlerts, r.TLSSNI}}); err != nil {
		return s, 0, fmt.Errorf("frame %d: %w", s.Frame, err)
	}
	return s, local, nil
}

// segment converts a row of JoinFields and joins it to its header: the
// segment is then what ToSegment makes of the full row
// (TestJoinedEqualsFull), its frame and stream the whole file's. A row
// DisplayFilter leaves out (no TCP, or TCP quoted in ICMP) gives a zero
// Segment (Frame 0).
func (j *joiner) segment(r *JoinRow) (Segment, error) {
	n, err := strconv.ParseInt(r.Frame, 10, 64)
	if err != nil || n <= 0 {
		return Segment{}, fmt.Errorf("frame.number %q", r.Frame)
	}
	if r.SrcPort == "" && r.Stream == "" || r.ICMP != "" || r.ICMPv6 != "" {
		has, err := j.q.has(n)
		if err == nil && has {
			err = fmt.Errorf("%w: frame %d is plain TCP for the splitter only", errNotJoinable, n)
		}
		return Segment{}, err
	}
	s, local, err := parseJoinRow(r)
	if err != nil {
		return s, err
	}
	h, err := j.q.take(n)
	if err != nil {
		return s, err
	}
	fl, ok := j.out.Flow(local)
	if !ok || !((fl.A == h.Src && fl.B == h.Dst) || (fl.A == h.Dst && fl.B == h.Src)) {
		return s, fmt.Errorf("%w: frame %d, stream %d numbered otherwise than the splitter's", errNotJoinable, n, local)
	}
	for int64(len(j.anchors)) <= local {
		j.anchors = append(j.anchors, shard.SeqAnchors{})
	}
	s.Seq, _ = j.anchors[local].Relative(h.Src == fl.A, &h.TCPHeader)
	s.Frame, s.Stream, s.Time, s.Flags = h.global, fl.Global, parse.Time(h.Time), h.Flags
	s.Src, s.SrcPort, s.Dst, s.DstPort = h.Src.Addr(), h.Src.Port(), h.Dst.Addr(), h.Dst.Port()
	s.IPID, s.HasIPID = h.IPID, h.HasIPID
	return s, nil
}

// selected says whether a segment passes the --server and --port filter
// (tshark.ServerFilter, which the joined path applies here: a row left
// out by tshark would be a header without a row).
func selected(opt Options, s *Segment) bool {
	if a := opt.Server; a.IsValid() {
		a = a.Unmap().WithZone("")
		if s.Src.WithZone("") != a && s.Dst.WithZone("") != a {
			return false
		}
	}
	return opt.Port == 0 || s.SrcPort == opt.Port || s.DstPort == opt.Port
}

// dissectJoined measures opt.File through the splitter in k shards, jobs
// at a time, each shard's tshark printing JoinFields. It fails with
// errNotJoinable where the full rows are needed, and with an error
// wrapping shard.ErrUnsupported where the splitter cannot read the file.
func dissectJoined(ctx context.Context, bin string, opt Options, k, jobs int, c *collector) (bool, error) {
	cols := make([]*collector, k)
	queues := make([]*headQueue, k)
	for id := range cols {
		cols[id], queues[id] = newCollector(opt.Gaps), &headQueue{}
	}
	spec := tshark.Spec{Input: "-", Fields: JoinFields, Mode: tshark.Columns, Prefs: opt.prefs}
	// The shards before the last pass's (shard.Run reads jobs at a time)
	// keep their finished connections on disk until the end.
	lastPass := (k - 1) / jobs * jobs
	var kept spills
	defer kept.close()
	partial, err := shard.Run(ctx, shard.Plan{File: opt.File, K: k, Jobs: jobs, Progress: opt.Progress, Packets: opt.Packets,
		// The frame watcher gives each header its frame number in the
		// file: no frame map is kept.
		NoFrames: true, Pipe: shard.GrowPipe,
		WatchFrames: func(id int) shard.FrameWatcher { return queues[id].watch },
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			j := &joiner{q: queues[id], out: out}
			// dissect reports a row's error as text; the sentinel is
			// kept here.
			var notJoinable error
			convert := func(r *JoinRow) (Segment, error) {
				s, err := j.segment(r)
				if errors.Is(err, errNotJoinable) {
					notJoinable = err
				}
				return s, err
			}
			sp := spec
			sp.Stdin = stdin
			_, err := dissect.Run(ctx, bin, sp, convert, func(s *Segment) error {
				if s.Frame == 0 || (opt.HasStream && s.Stream != opt.Stream) || !selected(opt, s) {
					return nil
				}
				cols[id].add(s)
				return nil
			})
			if notJoinable != nil {
				return notJoinable
			}
			if err != nil {
				return err
			}
			if err := j.q.rest(); err != nil {
				return err
			}
			// The shard's connections are complete: their states and
			// the queue's buffer go now, not with the last shard.
			queues[id] = nil
			cols[id].close(opt)
			if id >= lastPass {
				return nil
			}
			err = kept.put(id, cols[id].done)
			cols[id].done = nil
			return err
		}})
	if err != nil {
		return false, err
	}
	for id, col := range cols {
		if id < lastPass {
			if col.done, err = kept.get(id); err != nil {
				return false, err
			}
		}
		c.merge(col)
	}
	return partial, nil
}
