package export

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gopacket/gopacket"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// minShardPackets is the fewest estimated packets worth a shard of their
// own; tests set it to 0 to split small captures into --jobs shards.
var minShardPackets int64 = shard.MinPackets

// perShard bounds, roughly, how many packets one tshark holds: a larger
// capture is split into shards of about this many packets (tests lower
// it through shardPackets).
func (e *Export) perShard() int64 {
	if e.shardPackets > 0 {
		return e.shardPackets
	}
	return shard.MaxPackets
}

// errFallback says the split cannot give the rows one tshark would; the
// file is exported by one tshark, before any row was handed on.
var errFallback = errors.New("export cannot be split by connection")

// splitFields are the fields a split export can give exactly as one
// tshark over the file: those of one packet and of its TCP connection or
// address pair (every connection is whole in one shard, the rest spread
// by address pair, with tunnels, ICMP errors and what is not IP in shard
// 0 in file order), and the three that depend on the packet's place in the
// file, which are translated: frame.number (the frame map),
// frame.time_relative (from the first packet's time) and tcp.stream (the
// splitter numbers connections as tshark does). Any other field might
// name a frame or count across connections: one tshark exports it.
var splitFields = map[string]bool{
	"frame.number": true, "frame.time_relative": true, "frame.time_epoch": true, "frame.len": true, "frame.cap_len": true,
	"frame.protocols": true, "_ws.col.Source": true, "_ws.col.Destination": true, "_ws.col.Protocol": true, "_ws.col.Info": true,
	"eth.src": true, "eth.dst": true, "eth.type": true, "ip.src": true, "ip.dst": true, "ip.proto": true, "ip.ttl": true, "ip.len": true,
	"ipv6.src": true, "ipv6.dst": true, "ipv6.nxt": true, "ipv6.hlim": true, "tcp.srcport": true, "tcp.dstport": true, "tcp.stream": true,
	"tcp.len": true, "tcp.seq": true, "tcp.ack": true, "tcp.flags": true, "tcp.window_size": true, "udp.srcport": true, "udp.dstport": true,
	"udp.length": true, "icmp.type": true, "icmp.code": true,
}

// crossConnection are protocols by which tshark dissects a connection
// after what another announced (FTP data, the RTP of SIP, RTSP or H.323
// calls): split apart, the announced traffic would read otherwise.
var crossConnection = map[string]bool{
	"ftp": true, "ftp-data": true, "rtsp": true, "sip": true, "sdp": true,
	"h225": true, "h245": true, "skinny": true, "msrp": true, "rtp": true, "rtcp": true,
}

// splittable says whether the export can be split: every column in
// splitFields, and a filter that names no frame number, time reference,
// stream or frame link (it is applied in each shard).
func (e *Export) splittable() bool {
	for _, f := range e.opt.Columns.Fields {
		if !splitFields[f] {
			return false
		}
	}
	for _, w := range []string{"frame", "stream", "_in", "prev", "ref", "time", "segment"} {
		if strings.Contains(e.opt.Filter, w) {
			return false
		}
	}
	return true
}

// hidden are the columns every shard's tshark adds after the user's: the
// frame number to translate and order by, the epoch time for relative
// times, the protocols for the cross-connection check; with tcp.stream,
// the ports, to check the connection is the splitter's (stream).
var hidden = []string{"frame.number", "frame.time_epoch", "frame.protocols", "tcp.srcport", "tcp.dstport"}

// withHidden is the shard's field list: the user's, then the hidden ones
// they lack (tshark's rows cannot carry a field twice); at says where
// each hidden field is, -1 for the ports when tcp.stream is not asked.
func withHidden(user []string) ([]string, [5]int) {
	fields := append([]string(nil), user...)
	var at [5]int
	for h, f := range hidden {
		at[h] = slices.Index(fields, f)
		if h >= 3 && !slices.Contains(user, "tcp.stream") {
			at[h] = -1
		} else if at[h] < 0 {
			at[h] = len(fields)
			fields = append(fields, f)
		}
	}
	return fields, at
}

// row is one translated row, spilled until every shard succeeded.
type row struct {
	Frame int64
	Cells []string
}

// infoRef is how an Info text names another frame: ICMP's "(reply in
// 12)" and TCP's "[TCP Dup ACK 12#2]"; the number is the second group.
var infoRef = regexp.MustCompile(`(\((?:reply|request) in |\[TCP Dup ACK )(\d+)`)

// runSplit exports through the splitter in k shards, jobs at a time,
// each shard's rows spilled; once all succeeded, the rows are merged in
// frame order and handed to each.
func (e *Export) runSplit(ctx context.Context, k, jobs int, each func(row []string) error) (bool, error) {
	spills := make([]*os.File, k)
	defer func() {
		for _, f := range spills {
			if f != nil {
				f.Close()
			}
		}
	}()
	// first is the file's first packet's time (the splitter sees it
	// before any shard's tshark can print a row).
	var first atomic.Int64
	var seen bool
	fields, at := withHidden(e.opt.Columns.Fields)
	e.shardRows = make([]int64, k)
	truncated, err := shard.Run(ctx, shard.Plan{File: e.opt.File, K: k, Jobs: jobs, SpreadOther: true, Progress: e.progress,
		Observe: func(ci gopacket.CaptureInfo) {
			if !seen {
				first.Store(ci.Timestamp.UnixNano())
				seen = true
			}
		},
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			f, err := tmpfile.New("")
			if err != nil {
				return fmt.Errorf("spilling export rows: %w", err)
			}
			spills[id] = f
			bw := bufio.NewWriter(f)
			enc := gob.NewEncoder(bw)
			spec := tshark.Spec{Input: "-", Stdin: stdin, Fields: fields, Mode: tshark.Fields, DisplayFilter: e.opt.Filter}
			list := e.opt.Columns.list
			if list {
				// The hidden fields follow the packet list's columns.
				spec = listSpec(spec)
			}
			_, err = dissect.Run(ctx, e.bin, spec, dissect.Same[[]string], func(cells *[]string) error {
				e.shardRows[id]++
				if list {
					unpad(*cells)
				}
				r, err := e.translate(id, *cells, at, out, parse.Time(first.Load()))
				if err != nil {
					return err
				}
				return enc.Encode(r)
			})
			var ee *tshark.ExitError
			if errors.As(err, &ee) {
				// A filter or field tshark refuses: one tshark over the
				// file says so in the user's terms.
				return fmt.Errorf("%w: %w", errFallback, err)
			}
			if err != nil {
				return err
			}
			return bw.Flush()
		}})
	if errors.Is(err, shard.ErrUnsupported) {
		return false, fmt.Errorf("%w: %w", errFallback, err)
	}
	if err != nil {
		return false, err
	}
	return truncated, e.merge(spills, each)
}

// translate turns shard id's row (the user's cells, then hidden) into the
// whole file's numbering.
func (e *Export) translate(id int, cells []string, at [5]int, out *shard.Out, first parse.Time) (row, error) {
	n := len(e.opt.Columns.Fields)
	local, err := strconv.ParseInt(cells[at[0]], 10, 64)
	if err != nil {
		return row{}, fmt.Errorf("shard %d: frame.number %q", id, cells[at[0]])
	}
	frame, ok := out.Frame(local)
	if !ok {
		return row{}, fmt.Errorf("shard %d: frame %d was never sent", id, local)
	}
	for _, p := range strings.Split(cells[at[2]], ":") {
		if crossConnection[p] {
			return row{}, fmt.Errorf("%w: %s sets up other connections", errFallback, p)
		}
	}
	epoch := cells[at[1]]
	r := row{Frame: frame, Cells: append([]string(nil), cells[:n]...)}
	for i, f := range e.opt.Columns.Fields {
		c := r.Cells[i]
		switch {
		case c == "":
		case f == "frame.number":
			r.Cells[i] = strconv.FormatInt(frame, 10)
		case f == "frame.time_relative":
			t, err := parse.ParseTime(epoch)
			if err != nil {
				return row{}, err
			}
			r.Cells[i] = relative(t - first)
		case f == "tcp.stream":
			if r.Cells[i], err = e.stream(id, c, cells[at[3]], cells[at[4]], out); err != nil {
				return row{}, err
			}
		case f == "_ws.col.Info" && (strings.Contains(c, " in ") || strings.Contains(c, "Dup ACK")):
			r.Cells[i] = infoRef.ReplaceAllStringFunc(c, func(m string) string {
				sub := infoRef.FindStringSubmatch(m)
				l, _ := strconv.ParseInt(sub[2], 10, 64)
				if g, ok := out.Frame(l); ok {
					return sub[1] + strconv.FormatInt(g, 10)
				}
				return m
			})
		}
	}
	return r, nil
}

// stream is the file's tcp.stream of the shard's (outer connection
// first; a multi-valued cell is a tunnel, which the splitter cannot
// number). The row's ports must be the connection's: shard 0's tshark
// also numbers the connections inside tunnels, which the splitter does
// not, so there its numbers may name another of the splitter's.
func (e *Export) stream(id int, c, sport, dport string, out *shard.Out) (string, error) {
	local, err := strconv.ParseInt(c, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: shard %d: tcp.stream %q", errFallback, id, c)
	}
	fl, ok := out.Flow(local)
	sp, err1 := strconv.ParseUint(sport, 10, 16)
	dp, err2 := strconv.ParseUint(dport, 10, 16)
	a, b := fl.A.Port(), fl.B.Port()
	if !ok || err1 != nil || err2 != nil || !(uint16(sp) == a && uint16(dp) == b || uint16(sp) == b && uint16(dp) == a) {
		return "", fmt.Errorf("%w: shard %d: stream %d is not the splitter's", errFallback, id, local)
	}
	return strconv.FormatInt(fl.Global, 10), nil
}

// relative prints a time difference as tshark prints frame.time_relative:
// seconds with 9 decimals.
func relative(d parse.Time) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%09d", sign, int64(d)/1e9, int64(d)%1e9)
}

// merge hands the spilled rows to each in frame order.
func (e *Export) merge(spills []*os.File, each func(row []string) error) error {
	h := &rowHeap{}
	for _, f := range spills {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		dec := gob.NewDecoder(bufio.NewReader(f))
		var r row
		if err := dec.Decode(&r); err == nil {
			heap.Push(h, &head{r, dec})
		} else if err != io.EOF {
			return err
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		if err := e.emit(top.r.Cells, each); err != nil {
			return err
		}
		var next row
		if err := top.dec.Decode(&next); err == io.EOF {
			heap.Pop(h)
		} else if err != nil {
			return err
		} else {
			top.r = next
			heap.Fix(h, 0)
		}
	}
	return nil
}

type head struct {
	r   row
	dec *gob.Decoder
}

// rowHeap orders the shards' next rows by frame number.
type rowHeap []*head

func (h rowHeap) Len() int           { return len(h) }
func (h rowHeap) Less(i, j int) bool { return h[i].r.Frame < h[j].r.Frame }
func (h rowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rowHeap) Push(x any)        { *h = append(*h, x.(*head)) }
func (h *rowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
