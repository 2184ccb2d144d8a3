// Package icmpnode measures ICMP echo (ping) traffic as seen by the host
// that captured it: the 13 per-node metrics of the NSSA-220 "Packet
// Capture Analysis" assignment, plus loss, duplicates, RTT percentiles and
// a per-peer breakdown. It streams: memory grows with peers and
// unanswered pings, not with the capture.
//
// Like every analysis it is a vertical slice: row.go declares the tshark
// fields it reads and converts each row into its one typed packet, the
// Echo; collect.go pairs requests with replies and finds the capturing
// host; node.go turns the pairs into one node's metrics. Running tshark
// (dissect), the field helpers (parse) and the statistics (stats) are
// shared with the other analyses.
package icmpnode

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
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
	// Jobs is how many nodes are measured at a time, one tshark each (0
	// is 1).
	Jobs int
	// Progress, if set, is told how many bytes of the file being read
	// tshark has got through (estimated from its frame numbers), file by
	// file.
	Progress func(done, total int64)
	// Packets, if set, is told how many packets have been read so far (of
	// all files measured side by side together).
	Packets func(n int64)
	// whole (tests only) has one tshark read each file, as when the
	// splitter cannot.
	whole bool
}

// Peer is what a node exchanged with one other host.
type Peer struct {
	Addr             netip.Addr `json:"address"`
	RequestsSent     int        `json:"echo_requests_sent"`
	Answered         int        `json:"answered"`
	Lost             int        `json:"lost"`
	RequestsReceived int        `json:"echo_requests_received"`
	RepliesSent      int        `json:"echo_replies_sent"`
	// AmbiguousReplies counts the node's answered pings to this peer
	// whose pairing is a guess (see Node.AmbiguousReplies).
	AmbiguousReplies int `json:"ambiguous_replies"`
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
	Answered          int `json:"answered"`
	Lost              int `json:"lost"`
	DuplicateReplies  int `json:"duplicate_replies"`
	UnsolicitedReply  int `json:"replies_without_request"`
	ErrorsIgnored     int `json:"icmp_errors_quoting_echo_ignored"`
	RepliedToReceived int `json:"received_requests_answered"`
	// AmbiguousReplies counts replies to the node's pings that arrived
	// while more than one request with the same peer, identifier and
	// sequence number was unanswered: the capture cannot say which one
	// they answer. Each is paired with the latest of those requests (the
	// shortest RTT possible, the right one unless a reply took longer
	// than the interval between pings), and their RTTs and the averages
	// built on them rest on that assumption. AmbiguousReplyDelays is the
	// same for the node's replies to requests it received.
	AmbiguousReplies     int           `json:"ambiguous_replies"`
	AmbiguousReplyDelays int           `json:"ambiguous_reply_delays"`
	RTT                  stats.Summary `json:"rtt_ms"`
	Peers                []Peer        `json:"peers"`
	Partial              bool          `json:"partial"`
	// Tshark is the version of the tshark that dissected the capture (its
	// check before the run), for reports that state it.
	Tshark tshark.Version `json:"-"`
}

// ErrAmbiguous says the capture's own host cannot be told from the traffic.
var ErrAmbiguous = errors.New("cannot tell which host took the capture")

// ErrNoEcho says the capture holds no ICMP echo for the node.
var ErrNoEcho = errors.New("no ICMP echo request or reply")

// ErrCutShort joins ErrNoEcho when the file is cut short: its echoes may
// lie past the cut, so the capture is not shown to hold no ping traffic.
var ErrCutShort = errors.New("the file is cut short in the middle of a packet")

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
	bin, err := tshark.Locate(opt.Tshark)
	if err != nil {
		return nil, err
	}
	// tshark's version check (~0.14 s, a whole tshark start) runs beside
	// the measurement instead of before it; nothing measured is returned
	// unless it passes, and its error comes first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var version tshark.Version
	checked := make(chan error, 1)
	go func() {
		var err error
		version, err = dissect.Check(ctx, bin)
		if err != nil {
			cancel()
		}
		checked <- err
	}()
	out, err := measureAll(ctx, bin, opt)
	if cerr := <-checked; cerr != nil {
		return nil, cerr
	}
	for _, n := range out {
		if n != nil {
			n.Tshark = version
		}
	}
	return out, err
}

// measureAll measures every file, Jobs at a time.
func measureAll(ctx context.Context, bin string, opt Options) ([]*Node, error) {
	out := make([]*Node, len(opt.Files))
	errs := make([]error, len(opt.Files))
	progress := newProgress(len(opt.Files), opt.Progress)
	packets := newCount(len(opt.Files), opt.Packets)
	sem := make(chan struct{}, max(1, opt.Jobs))
	var wg sync.WaitGroup
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
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			o := opt
			o.Progress, o.Packets = progress(i), packets(i)
			// The jobs left when files run side by side split each one.
			o.Jobs = max(1, opt.Jobs/len(opt.Files))
			out[i], errs[i] = measureFile(ctx, bin, f, node, name, o)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return out[:i], err
		}
	}
	return out, nil
}

// newProgress adds up the progress of files measured side by side into
// one figure for report: file i's reporter is progress(i).
func newProgress(n int, report func(done, total int64)) func(i int) func(done, total int64) {
	if report == nil {
		return func(int) func(int64, int64) { return nil }
	}
	var mu sync.Mutex
	done, total := make([]int64, n), make([]int64, n)
	return func(i int) func(int64, int64) {
		return func(d, t int64) {
			mu.Lock()
			defer mu.Unlock()
			done[i], total[i] = d, t
			var sd, st int64
			for k := range done {
				sd, st = sd+done[k], st+total[k]
			}
			report(sd, st)
		}
	}
}

// newCount adds up the packet counts of files measured side by side into
// one for report: file i's counter is count(i).
func newCount(n int, report func(int64)) func(i int) func(int64) {
	if report == nil {
		return func(int) func(int64) { return nil }
	}
	var mu sync.Mutex
	seen := make([]int64, n)
	return func(i int) func(int64) {
		return func(c int64) {
			mu.Lock()
			defer mu.Unlock()
			seen[i] = c
			var sum int64
			for _, v := range seen {
				sum += v
			}
			report(sum)
		}
	}
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

func measureFile(ctx context.Context, bin, file string, node netip.Addr, name string, opt Options) (*Node, error) {
	ps := opt.Percentiles
	c := newCollector()
	collect := collectEchoes
	if opt.whole {
		collect = func(ctx context.Context, bin, file string, _ int, progress meter, c *collector) (bool, error) {
			return collectWhole(ctx, bin, file, progress, c)
		}
	}
	truncated, err := collect(ctx, bin, file, opt.Jobs, meter{opt.Progress, opt.Packets}, c)
	if err != nil {
		return nil, err
	}
	n := &Node{File: file, Name: name, Partial: truncated, ErrorsIgnored: c.errors}
	if node.IsValid() {
		n.Addr, n.Detection = node.Unmap(), "given with --node"
	} else if n.Addr, n.Detection, err = detect(c); err != nil {
		return nil, noEchoError(file, err, truncated)
	}
	if err := c.node(n, ps); err != nil {
		return nil, noEchoError(file, err, truncated)
	}
	return n, nil
}

// noEchoError names file in err and says, of a truncated file without
// echoes, that it is cut short.
func noEchoError(file string, err error, truncated bool) error {
	if truncated && errors.Is(err, ErrNoEcho) {
		return fmt.Errorf("%s: %w before the cut: %w", file, err, ErrCutShort)
	}
	return fmt.Errorf("%s: %w", file, err)
}
