// Package icmpnode measures ICMP echo (ping) traffic as seen by the host
// that captured it: the 13 per-node metrics of the NSSA-220 "Packet
// Capture Analysis" assignment, plus loss, duplicates, RTT percentiles and
// a per-peer breakdown. It shares tshark running (dissect), row decoding
// (parse) and statistics (stats) with the HTTP analysis and streams: memory
// grows with peers and unanswered pings, not with the capture.
package icmpnode

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Options configure a measurement. Files are analysed independently, one
// node each.
type Options struct {
	Files []string
	// Nodes gives each file's own address (by position); a single entry
	// applies to every file; empty entries are detected.
	Nodes []netip.Addr
	// Names gives each file's node name (by position); empty entries come
	// from the file name.
	Names       []string
	Percentiles []float64
	Tshark      string
}

// Peer is what a node exchanged with one other host.
type Peer struct {
	Addr             netip.Addr `json:"address"`
	RequestsSent     int        `json:"echo_requests_sent"`
	Answered         int        `json:"answered"`
	Lost             int        `json:"lost"`
	RequestsReceived int        `json:"echo_requests_received"`
	RepliesSent      int        `json:"echo_replies_sent"`
	// RTT summarises the node's pings to this peer, in milliseconds.
	RTT     stats.Summary `json:"rtt_ms"`
	AvgHops float64       `json:"average_hops"`
}

// Node is the measurement of one capture's own host.
type Node struct {
	File string     `json:"file"`
	Name string     `json:"name"`
	Addr netip.Addr `json:"address"`
	// Detection says how Addr was found.
	Detection string `json:"detection"`

	RequestsSent     int   `json:"echo_requests_sent"`
	RequestsReceived int   `json:"echo_requests_received"`
	RepliesSent      int   `json:"echo_replies_sent"`
	RepliesReceived  int   `json:"echo_replies_received"`
	RequestBytesSent int64 `json:"echo_request_bytes_sent"`
	RequestBytesRecv int64 `json:"echo_request_bytes_received"`
	RequestDataSent  int64 `json:"echo_request_data_sent"`
	RequestDataRecv  int64 `json:"echo_request_data_received"`

	AvgRTTms        float64 `json:"average_rtt_ms"`
	ThroughputKBps  float64 `json:"echo_request_throughput_kBps"`
	GoodputKBps     float64 `json:"echo_request_goodput_kBps"`
	AvgReplyDelayUs float64 `json:"average_reply_delay_us"`
	AvgHops         float64 `json:"average_echo_request_hops"`

	// Beyond the assignment.
	Answered          int           `json:"answered"`
	Lost              int           `json:"lost"`
	DuplicateReplies  int           `json:"duplicate_replies"`
	UnsolicitedReply  int           `json:"replies_without_request"`
	ErrorsIgnored     int           `json:"icmp_errors_quoting_echo_ignored"`
	RepliedToReceived int           `json:"received_requests_answered"`
	RTT               stats.Summary `json:"rtt_ms"`
	Peers             []Peer        `json:"peers"`
	Partial           bool          `json:"partial"`
}

// ErrAmbiguous says the capture's own host cannot be told from the traffic.
var ErrAmbiguous = errors.New("cannot tell which host took the capture")

// ErrNoEcho says the capture holds no ICMP echo for the node.
var ErrNoEcho = errors.New("no ICMP echo request or reply")

type key struct {
	requester, responder netip.Addr
	id, seq              string
}

type pending struct {
	t       parse.Time
	answers int
	size    [2]int64 // frame and data bytes of the request
}

// forgetAfter bounds memory on long captures: a request is forgotten this
// long (capture time) after it was sent. A reply later than that counts as
// a reply without a request.
const forgetAfter = 120 * 1e9

type pair struct {
	requests    int
	bytes, data int64
	answered    int
	durations   []float64 // reply time − request time, seconds
	frameSumAns int64     // frame bytes of answered requests
	dataSumAns  int64
	hopsSum     int
	dupReplies  int
	unsolicited int
}

type addrStat struct {
	packets     int
	sent        int
	initialTTLs int // sent packets whose TTL is an initial value
}

// collector accumulates one file's echoes, whatever the node turns out to be.
type collector struct {
	pending map[key]*pending
	pairs   map[[2]netip.Addr]*pair // requester, responder
	addrs   map[netip.Addr]*addrStat
	echoes  int
	errors  int
	swept   parse.Time
}

func initialTTL(ttl int) int {
	for _, i := range []int{32, 64, 128, 255} {
		if ttl <= i {
			return i
		}
	}
	return 255
}

func (c *collector) pairOf(req, resp netip.Addr) *pair {
	k := [2]netip.Addr{req, resp}
	p := c.pairs[k]
	if p == nil {
		p = &pair{}
		c.pairs[k] = p
	}
	return p
}

func (c *collector) add(e *Echo) {
	c.echoes++
	for i, a := range []netip.Addr{e.Src, e.Dst} {
		s := c.addrs[a]
		if s == nil {
			s = &addrStat{}
			c.addrs[a] = s
		}
		if i == 1 && e.Dst == e.Src {
			break
		}
		s.packets++
		if i == 0 {
			s.sent++
			if initialTTL(e.TTL) == e.TTL {
				s.initialTTLs++
			}
		}
	}
	if e.Request {
		k := key{e.Src, e.Dst, e.ID, e.Seq}
		p := c.pairOf(e.Src, e.Dst)
		p.requests++
		p.bytes += int64(e.FrameLen)
		p.data += int64(e.DataLen)
		if _, dup := c.pending[k]; !dup {
			c.pending[k] = &pending{t: e.Time, size: [2]int64{int64(e.FrameLen), int64(e.DataLen)}}
		}
		if e.Time-c.swept > forgetAfter {
			c.sweep(e.Time)
		}
		return
	}
	k := key{e.Dst, e.Src, e.ID, e.Seq}
	p := c.pairOf(e.Dst, e.Src)
	q := c.pending[k]
	switch {
	case q == nil:
		p.unsolicited++
	case q.answers > 0:
		p.dupReplies++
	default:
		q.answers++
		p.answered++
		p.durations = append(p.durations, e.Time.Sub(q.t))
		p.frameSumAns += q.size[0]
		p.dataSumAns += q.size[1]
		p.hopsSum += initialTTL(e.TTL) - e.TTL + 1
	}
}

func (c *collector) sweep(now parse.Time) {
	for k, q := range c.pending {
		if now-q.t > forgetAfter {
			delete(c.pending, k)
		}
	}
	c.swept = now
}

// Run measures every file.
func Run(ctx context.Context, opt Options) ([]*Node, error) {
	if len(opt.Files) == 0 {
		return nil, errors.New("no capture file given")
	}
	if opt.Percentiles == nil {
		opt.Percentiles = stats.DefaultPercentiles
	}
	if err := stats.ValidatePercentiles(opt.Percentiles); err != nil {
		return nil, err
	}
	for _, f := range opt.Files {
		if _, err := capfile.Sniff(f); err != nil {
			return nil, err
		}
	}
	bin, _, err := tshark.Find(ctx, opt.Tshark)
	if err != nil {
		return nil, err
	}
	var out []*Node
	for i, f := range opt.Files {
		var node netip.Addr
		if len(opt.Nodes) == 1 {
			node = opt.Nodes[0]
		} else if i < len(opt.Nodes) {
			node = opt.Nodes[i]
		}
		name := ""
		if i < len(opt.Names) {
			name = opt.Names[i]
		}
		if name == "" {
			name = NameFromFile(f)
		}
		n, err := measureFile(ctx, bin, f, node, name, opt.Percentiles)
		if err != nil {
			return out, err
		}
		out = append(out, n)
	}
	return out, nil
}

var nodeRE = regexp.MustCompile(`(?i)^node[ _-]?(\d+)$`)

// NameFromFile names a node after its capture: "Node1.pcap" → "Node 1",
// anything else by the file name without extension.
func NameFromFile(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".gz", ".pcapng", ".pcap", ".cap"} {
		base = strings.TrimSuffix(base, ext)
	}
	if m := nodeRE.FindStringSubmatch(base); m != nil {
		return "Node " + m[1]
	}
	return base
}

// echoRow is an echo, or a row whose outer ICMP message is not one (an
// ICMP error quoting an echo request), which is counted, not used.
type echoRow struct {
	echo    Echo
	notEcho bool
}

func toEcho(r *Row) (echoRow, error) {
	e, err := ToEcho(r)
	if errors.Is(err, errNotEcho) {
		return echoRow{notEcho: true}, nil
	}
	return echoRow{echo: e}, err
}

func measureFile(ctx context.Context, bin, file string, node netip.Addr, name string, ps []float64) (*Node, error) {
	c := &collector{pending: map[key]*pending{}, pairs: map[[2]netip.Addr]*pair{}, addrs: map[netip.Addr]*addrStat{}, swept: -1 << 62}
	spec := tshark.Spec{Input: file, Fields: Fields, Mode: tshark.Fields, DisplayFilter: DisplayFilter}
	truncated, err := dissect.Run(ctx, bin, spec, toEcho, func(e *echoRow) error {
		if e.notEcho {
			c.errors++
			return nil
		}
		c.add(&e.echo)
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := &Node{File: file, Name: name, Partial: truncated, ErrorsIgnored: c.errors}
	if node.IsValid() {
		n.Addr, n.Detection = node.Unmap(), "given with --node"
	} else if n.Addr, n.Detection, err = detect(c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := c.node(n, ps); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return n, nil
}

// detect finds the capture's own host: the address present in the most
// echo packets (as source or destination). A tie is broken by TTLs: the
// capturing host's own packets leave with an initial TTL (32, 64, 128 or
// 255), while a remote host's arrive decremented by every router on the
// way. Anything still tied is refused.
func detect(c *collector) (netip.Addr, string, error) {
	if c.echoes == 0 {
		return netip.Addr{}, "", ErrNoEcho
	}
	type cand struct {
		a netip.Addr
		s *addrStat
	}
	var cs []cand
	for a, s := range c.addrs {
		cs = append(cs, cand{a, s})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].s.packets != cs[j].s.packets {
			return cs[i].s.packets > cs[j].s.packets
		}
		return cs[i].a.Less(cs[j].a)
	})
	top := []cand{cs[0]}
	for _, x := range cs[1:] {
		if x.s.packets == cs[0].s.packets {
			top = append(top, x)
		}
	}
	why := fmt.Sprintf("in %d of %d echo packets", cs[0].s.packets, c.echoes)
	if len(top) == 1 {
		return top[0].a, "the only address " + why, nil
	}
	var initial []cand
	for _, x := range top {
		if x.s.sent > 0 && x.s.initialTTLs == x.s.sent {
			initial = append(initial, x)
		}
	}
	if len(initial) == 1 {
		return initial[0].a, why + ", and the only one sending with an undecremented TTL", nil
	}
	names := make([]string, len(top))
	for i, x := range top {
		names[i] = x.a.String()
	}
	return netip.Addr{}, "", fmt.Errorf("%w: %s each appear %s; give the node's address with --node", ErrAmbiguous, strings.Join(names, " and "), why)
}

// node fills n's metrics from the pairs involving n.Addr.
func (c *collector) node(n *Node, ps []float64) error {
	var rttAll []float64
	var sumRTT float64
	var frameAns, dataAns int64
	var hops int
	var delaySum float64
	peers := map[netip.Addr]*Peer{}
	peer := func(a netip.Addr) *Peer {
		p := peers[a]
		if p == nil {
			p = &Peer{Addr: a}
			peers[a] = p
		}
		return p
	}
	peerRTT := map[netip.Addr][]float64{}
	peerHops := map[netip.Addr]int{}
	keys := make([][2]netip.Addr, 0, len(c.pairs))
	for k := range c.pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0].Less(keys[j][0])
		}
		return keys[i][1].Less(keys[j][1])
	})
	for _, k := range keys {
		p := c.pairs[k]
		req, resp := k[0], k[1]
		if req == n.Addr {
			n.RequestsSent += p.requests
			n.RequestBytesSent += p.bytes
			n.RequestDataSent += p.data
			n.RepliesReceived += p.answered + p.dupReplies + p.unsolicited
			n.Answered += p.answered
			n.DuplicateReplies += p.dupReplies
			n.UnsolicitedReply += p.unsolicited
			rttAll = append(rttAll, p.durations...)
			for _, d := range p.durations {
				sumRTT += d
			}
			frameAns += p.frameSumAns
			dataAns += p.dataSumAns
			hops += p.hopsSum
			pp := peer(resp)
			pp.RequestsSent += p.requests
			pp.Answered += p.answered
			peerRTT[resp] = append(peerRTT[resp], p.durations...)
			peerHops[resp] += p.hopsSum
		}
		if resp == n.Addr {
			n.RequestsReceived += p.requests
			n.RequestBytesRecv += p.bytes
			n.RequestDataRecv += p.data
			n.RepliesSent += p.answered + p.dupReplies + p.unsolicited
			n.RepliedToReceived += p.answered
			for _, d := range p.durations {
				delaySum += d
			}
			pp := peer(req)
			pp.RequestsReceived += p.requests
			pp.RepliesSent += p.answered + p.dupReplies + p.unsolicited
		}
	}
	if n.RequestsSent+n.RequestsReceived+n.RepliesSent+n.RepliesReceived == 0 {
		return fmt.Errorf("%w to or from %s", ErrNoEcho, n.Addr)
	}
	n.Lost = max(0, n.RequestsSent-n.Answered)
	if n.Answered > 0 {
		n.AvgRTTms = sumRTT / float64(n.Answered) * 1e3
		n.AvgHops = float64(hops) / float64(n.Answered)
	}
	if sumRTT > 0 {
		n.ThroughputKBps = float64(frameAns) / sumRTT / 1e3
		n.GoodputKBps = float64(dataAns) / sumRTT / 1e3
	}
	if n.RepliedToReceived > 0 {
		n.AvgReplyDelayUs = delaySum / float64(n.RepliedToReceived) * 1e6
	}
	var err error
	if n.RTT, err = stats.Summarize(toMS(rttAll), ps); err != nil {
		return err
	}
	for a, p := range peers {
		p.Lost = max(0, p.RequestsSent-p.Answered)
		p.RTT, _ = stats.Summarize(toMS(peerRTT[a]), ps)
		if p.Answered > 0 {
			p.AvgHops = float64(peerHops[a]) / float64(p.Answered)
		}
		n.Peers = append(n.Peers, *p)
	}
	sort.Slice(n.Peers, func(i, j int) bool { return n.Peers[i].Addr.Less(n.Peers[j].Addr) })
	return nil
}

func toMS(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * 1e3
	}
	return out
}
