// Package tracesum answers the first questions asked of any capture: how
// many packets, over how long, what protocols, which conversations, how big
// the packets are and how they are spaced, the TCP round-trip time and loss,
// and how much HTTP and ping traffic there is. What needs no dissection
// (counts, sizes, times) comes from the splitter's own read of the file
// (basics.go); tshark, one per TCP-connection shard of at most about a
// million packets (split.go), gives the rest. Memory holds one entry per
// distinct size and gap, per protocol, conversation and connection.
//
// Like every analysis it is a vertical slice: row.go declares the tshark
// fields it reads and converts each row into its one typed packet, the
// Frame; this file counts the frames and finishes the overview.
package tracesum

import (
	"context"
	"errors"
	"sort"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Options configure a summary.
type Options struct {
	File   string
	Tshark string
	// TopN bounds the protocol and conversation lists.
	TopN int
	// Recorded, when File is a copy joining several files of one capture
	// (always a pcap), is the header of the first of them: what the
	// capture was recorded as, the format and link type to report.
	Recorded *capfile.Info
	// Jobs is how many tshark processes may run at a time (0 is 1).
	Jobs int
	// Progress, if set, is told how many bytes of the file have been read
	// (by the splitter, or estimated from tshark's frame numbers when the
	// file is dissected whole).
	Progress func(done, total int64)
	// Packets, if set, is told how many packets have been read so far.
	Packets func(n int64)
}

// Share is a protocol's part of the trace.
type Share struct {
	Protocol     string  `json:"protocol"`
	Packets      int     `json:"packets"`
	Bytes        int64   `json:"bytes"`
	PacketsShare float64 `json:"packets_share"` // 0..1
	BytesShare   float64 `json:"bytes_share"`
}

// Conversation is traffic between two endpoints, both directions.
type Conversation struct {
	Transport string `json:"transport"` // tcp, udp or the top protocol without ports
	A         string `json:"a"`
	B         string `json:"b"`
	Packets   int    `json:"packets"`
	Bytes     int64  `json:"bytes"`
	AtoB      int64  `json:"bytes_a_to_b"`
	BtoA      int64  `json:"bytes_b_to_a"`
}

// Summary is the whole-trace overview. Times are seconds, sizes bytes.
type Summary struct {
	File          string         `json:"file"`
	Capture       capfile.Info   `json:"capture"`
	LinkType      string         `json:"link_type"`
	Packets       int            `json:"packets"`
	Bytes         int64          `json:"bytes"`
	First         parse.Time     `json:"-"`
	Last          parse.Time     `json:"-"`
	FirstTime     string         `json:"first_time"` // RFC 3339, UTC
	LastTime      string         `json:"last_time"`
	Duration      float64        `json:"duration"`
	PacketRate    float64        `json:"packets_per_second"`
	BitRate       float64        `json:"bits_per_second"`
	AvgPacket     float64        `json:"average_packet_size"`
	Protocols     []Share        `json:"protocols"`
	Talkers       []Conversation `json:"top_conversations"`
	Conversations int            `json:"conversations"`
	Size          stats.Summary  `json:"packet_size"`
	InterArrival  stats.Summary  `json:"inter_arrival"`
	TCP           TCPSummary     `json:"tcp"`
	HTTP          struct {
		Requests  int `json:"requests"`
		Responses int `json:"responses"`
	} `json:"http"`
	ICMP struct {
		EchoRequests int `json:"echo_requests"`
		EchoReplies  int `json:"echo_replies"`
	} `json:"icmp"`
	Partial bool `json:"partial"`
	// Tshark is the version of the tshark that dissected the capture (its
	// check before the run), for reports that state it.
	Tshark tshark.Version `json:"-"`
	// Sizes and Gaps are the samples (bytes, seconds) in order, for
	// plots: every one up to 100,000 packets, evenly spaced ranks beyond.
	Sizes []float64 `json:"-"`
	Gaps  []float64 `json:"-"`
}

// TCPSummary is the TCP part of the overview.
type TCPSummary struct {
	Connections     int     `json:"connections"`
	WithHandshake   int     `json:"connections_with_handshake_rtt"`
	HandshakeRTT    float64 `json:"handshake_rtt_median"` // seconds, median over connections
	Retransmissions int     `json:"retransmissions"`
	LostSegments    int     `json:"lost_segments"`
}

// Percentiles reported for sizes and gaps.
var Percentiles = []float64{50, 90, 99}

// Run summarises opt.File. An empty capture is a valid answer (zero
// packets), not an error.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	if opt.TopN == 0 {
		opt.TopN = 10
	}
	info, err := capfile.Sniff(opt.File)
	empty := errors.Is(err, capfile.ErrEmpty)
	if err != nil && !empty {
		return nil, err
	}
	if r := opt.Recorded; r != nil {
		info.Format, info.Compressed, info.Nanosecond = r.Format, r.Compressed, r.Nanosecond
	}
	s := &Summary{File: opt.File, Capture: info, LinkType: LinkTypeName(info.LinkType)}
	bin, version, err := dissect.Find(ctx, opt.Tshark)
	if err != nil {
		return nil, err
	}
	s.Tshark = version
	var b *basics
	var c *collector
	if !empty {
		b, c, s.Partial, err = runSplit(ctx, bin, opt)
	}
	if empty || (errors.Is(err, errFallback) && ctx.Err() == nil) {
		b, c, s.Partial, err = runWhole(ctx, bin, opt)
	}
	if err != nil {
		return nil, err
	}
	s.finish(b, c, opt.TopN)
	return s, nil
}

// runWhole is one tshark over the file, which also gives the figures
// that need no dissection (frame.len and frame.time_epoch): for captures
// the splitter cannot read.
func runWhole(ctx context.Context, bin string, opt Options) (*basics, *collector, bool, error) {
	b, c := newBasics(), newCollector()
	spec := tshark.Spec{Input: opt.File, Fields: Fields, Mode: tshark.Columns}
	onFrame := shard.FrameProgress(opt.File, opt.Progress, opt.Packets)
	partial, err := dissect.Run(ctx, bin, spec, ToFrame, func(f *Frame) error {
		if onFrame != nil {
			onFrame(f.Number)
		}
		b.add(f.Time, f.Len)
		c.add(f)
		return nil
	})
	return b, c, partial, err
}

// collector accumulates what needs dissection (one shard's frames, or the
// whole file's): the per-protocol, per-conversation and per-connection
// tables, and the counts of flagged frames.
type collector struct {
	protos  map[string]*Share
	convs   convTable
	streams streamTable // each TCP stream, and its handshake as it unfolds
	tcp     TCPSummary  // Retransmissions and LostSegments
	http    [2]int      // requests, responses
	echo    [2]int      // requests, replies
}

func newCollector() *collector {
	return &collector{protos: map[string]*Share{}, convs: newConvTable()}
}

func (c *collector) add(f *Frame) {
	p := c.protos[f.Top]
	if p == nil {
		p = &Share{Protocol: f.Top}
		c.protos[f.Top] = p
	}
	p.Packets++
	p.Bytes += int64(f.Len)
	if f.Src != "" || f.Stream >= 0 {
		// A stream's sender is an address id of the conversations'.
		src := c.convs.addrs.id(f.Src)
		if f.Src != "" {
			c.convs.add(f, src)
		}
		if f.Stream >= 0 {
			c.streams.add(f.Stream, src, f)
		}
	}
	if f.Retransmission {
		c.tcp.Retransmissions++
	}
	if f.LostSegment {
		c.tcp.LostSegments++
	}
	c.http[0] += f.HTTPRequests
	c.http[1] += f.HTTPResponses
	if f.EchoRequest {
		c.echo[0]++
	}
	if f.EchoReply {
		c.echo[1]++
	}
}

// finish puts the figures together. Everything collected is a count or a
// set whose union does not depend on the order of shards, which is why a
// split summary equals a whole one.
func (s *Summary) finish(b *basics, c *collector, topN int) {
	s.Packets, s.Bytes, s.First, s.Last = b.packets, b.bytes, b.first, b.last
	s.TCP = c.tcp
	s.HTTP.Requests, s.HTTP.Responses = c.http[0], c.http[1]
	s.ICMP.EchoRequests, s.ICMP.EchoReplies = c.echo[0], c.echo[1]
	if s.Packets > 0 {
		s.Duration = s.Last.Sub(s.First)
		s.AvgPacket = float64(s.Bytes) / float64(s.Packets)
		s.FirstTime = s.First.RFC3339()
		s.LastTime = s.Last.RFC3339()
	}
	if s.Duration > 0 {
		s.PacketRate = float64(s.Packets) / s.Duration
		s.BitRate = float64(s.Bytes) * 8 / s.Duration
	}
	for _, p := range c.protos {
		p.PacketsShare = float64(p.Packets) / float64(s.Packets)
		if s.Bytes > 0 {
			p.BytesShare = float64(p.Bytes) / float64(s.Bytes)
		}
		s.Protocols = append(s.Protocols, *p)
	}
	sort.Slice(s.Protocols, func(i, j int) bool {
		a, b := s.Protocols[i], s.Protocols[j]
		if a.Packets != b.Packets {
			return a.Packets > b.Packets
		}
		return a.Protocol < b.Protocol
	})
	if len(s.Protocols) > topN {
		s.Protocols = s.Protocols[:topN]
	}
	s.Conversations = len(c.convs.m)
	s.Talkers = c.convs.top(topN)
	s.Size, s.Sizes = b.sizes.summary(1, Percentiles)
	s.InterArrival, s.Gaps = b.gaps.summary(1e9, Percentiles)
	rtts := c.streams.rtts
	s.TCP.Connections = c.streams.seen
	s.TCP.WithHandshake = len(rtts)
	if len(rtts) > 0 {
		med, _ := stats.Summarize(rtts, []float64{50})
		s.TCP.HandshakeRTT = med.Percentiles[0].Value
	}
}
