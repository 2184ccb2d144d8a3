package report

import (
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
)

// ICMPSchema names icmp's JSON layout. v2: averages and RTT figures are
// null when nothing was answered (v1 had 0), tshark_version, partial and
// warnings at the top.
const ICMPSchema = "pcapmeter.icmp/v2"

// icmpPeerJSON embeds the analysis' peer and shadows its figures that
// need an answered ping.
type icmpPeerJSON struct {
	icmpnode.Peer
	RTT     jsonDist `json:"rtt_ms"`
	AvgHops *float64 `json:"average_hops"`
}

// icmpNodeJSON embeds the analysis' node (figures added there appear
// here) and shadows the averages that may be undefined.
type icmpNodeJSON struct {
	*icmpnode.Node
	AvgRTTms        *float64       `json:"average_rtt_ms"`
	ThroughputKBps  *float64       `json:"echo_request_throughput_kBps"`
	GoodputKBps     *float64       `json:"echo_request_goodput_kBps"`
	AvgReplyDelayUs *float64       `json:"average_reply_delay_us"`
	AvgHops         *float64       `json:"average_echo_request_hops"`
	RTT             jsonDist       `json:"rtt_ms"`
	Peers           []icmpPeerJSON `json:"peers"`
}

func icmpNode(n *icmpnode.Node) icmpNodeJSON {
	ans := n.Answered > 0
	j := icmpNodeJSON{
		Node: n, AvgRTTms: orNull(ans, n.AvgRTTms), ThroughputKBps: orNull(ans, n.ThroughputKBps),
		GoodputKBps: orNull(ans, n.GoodputKBps), AvgReplyDelayUs: orNull(n.RepliedToReceived > 0, n.AvgReplyDelayUs),
		AvgHops: orNull(ans, n.AvgHops), RTT: dist(n.RTT), Peers: []icmpPeerJSON{},
	}
	for _, p := range n.Peers {
		j.Peers = append(j.Peers, icmpPeerJSON{Peer: p, RTT: dist(p.RTT), AvgHops: orNull(p.Answered > 0, p.AvgHops)})
	}
	return j
}

// ICMPJSON prints the nodes as one JSON document (schema ICMPSchema).
func ICMPJSON(w io.Writer, nodes []*icmpnode.Node, m Meta) error {
	var own []string
	partial := false
	out := []icmpNodeJSON{}
	for _, n := range nodes {
		out = append(out, icmpNode(n))
		if n.AmbiguousReplies+n.AmbiguousReplyDelays > 0 {
			own = append(own, fmt.Sprintf("%s: %d replies received and %d sent are ambiguous (several unanswered requests with the same peer, identifier and sequence number); each is paired with the latest", n.Name, n.AmbiguousReplies, n.AmbiguousReplyDelays))
		}
		if n.Partial {
			partial = true
			own = append(own, n.File+": "+cutShort)
		}
	}
	return writeJSON(w, struct {
		Schema   string            `json:"schema"`
		Tshark   string            `json:"tshark_version"`
		Units    map[string]string `json:"units"`
		Partial  bool              `json:"partial"`
		Warnings []string          `json:"warnings"`
		Nodes    []icmpNodeJSON    `json:"nodes"`
	}{
		Schema: ICMPSchema, Tshark: m.Tshark,
		Units: map[string]string{
			"bytes": "frame bytes on the wire", "data": "ICMP payload bytes", "kB": "1000 bytes",
			"rtt": "milliseconds", "reply_delay": "microseconds", "hops": "networks (routers + 1)",
		},
		Partial: partial, Warnings: warnings(m, own...), Nodes: out,
	})
}
