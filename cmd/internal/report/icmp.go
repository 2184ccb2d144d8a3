package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
	"github.com/pcapmeter/pcapmeter/stats"
)

// ICMPText prints one block per node: the assignment's 13 metrics with
// their units, then loss, duplicates, RTT percentiles and the peers.
func ICMPText(w io.Writer, nodes []*icmpnode.Node) {
	for i, n := range nodes {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== %s: %s (%s) ==\n", n.Name, n.Addr, n.File)
		fmt.Fprintf(w, "node address:            %s\n", n.Detection)
		fmt.Fprintf(w, "echo requests:           %d sent, %d received\n", n.RequestsSent, n.RequestsReceived)
		fmt.Fprintf(w, "echo replies:            %d sent, %d received\n", n.RepliesSent, n.RepliesReceived)
		fmt.Fprintf(w, "request bytes (frames):  %d sent, %d received\n", n.RequestBytesSent, n.RequestBytesRecv)
		fmt.Fprintf(w, "request data (payload):  %d sent, %d received\n", n.RequestDataSent, n.RequestDataRecv)
		fmt.Fprintf(w, "average RTT:             %.2f ms over %d answered pings\n", n.AvgRTTms, n.Answered)
		fmt.Fprintf(w, "request throughput:      %.2f kB/s\n", n.ThroughputKBps)
		fmt.Fprintf(w, "request goodput:         %.2f kB/s\n", n.GoodputKBps)
		fmt.Fprintf(w, "average reply delay:     %.2f us over %d answered requests\n", n.AvgReplyDelayUs, n.RepliedToReceived)
		fmt.Fprintf(w, "average hops:            %.2f\n", n.AvgHops)
		fmt.Fprintf(w, "lost:                    %d of %d sent (%.1f%%); %d duplicate replies; %d replies without request; %d ICMP errors quoting echoes ignored\n",
			n.Lost, n.RequestsSent, pct(n.Lost, n.RequestsSent), n.DuplicateReplies, n.UnsolicitedReply, n.ErrorsIgnored)
		if n.AmbiguousReplies+n.AmbiguousReplyDelays > 0 {
			fmt.Fprintf(w, "warning: %d replies received and %d sent are ambiguous: several requests with the same peer, identifier and sequence number were unanswered; each is paired with the latest (RTTs and averages rest on that)\n",
				n.AmbiguousReplies, n.AmbiguousReplyDelays)
		}
		if n.RTT.N > 0 {
			fmt.Fprintf(w, "RTT ms:                  min %.3f, %s, max %.3f, stddev %.3f\n", n.RTT.Min, percentileList(n.RTT.Percentiles, 3), n.RTT.Max, n.RTT.StdDev)
		}
		if len(n.Peers) > 0 {
			fmt.Fprintf(w, "%-40s %6s %6s %6s %9s %9s %6s %8s %8s\n", "peer", "sent", "answ", "lost", "rtt avg", "rtt p99", "hops", "req in", "rep out")
			for _, p := range n.Peers {
				p99 := 0.0
				if k := len(p.RTT.Percentiles); k > 0 {
					p99 = p.RTT.Percentiles[k-1].Value
				}
				fmt.Fprintf(w, "%-40s %6d %6d %6d %9.3f %9.3f %6.2f %8d %8d\n", p.Addr, p.RequestsSent, p.Answered, p.Lost, p.RTT.Mean, p99, p.AvgHops, p.RequestsReceived, p.RepliesSent)
			}
		}
		if n.Partial {
			fmt.Fprintln(w, "PARTIAL: the capture is cut short; figures cover the packets before the cut")
		}
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func percentileList(ps []stats.Percentile, decimals int) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("p%s %.*f", strconv.FormatFloat(p.P, 'f', -1, 64), decimals, p.Value)
	}
	return strings.Join(parts, ", ")
}

// ICMPCSVHeader is the layout of ICMPCSV: one row per node (peer "*")
// followed by one row per peer of that node.
var ICMPCSVHeader = []string{
	"file", "node", "address", "peer",
	"echo_requests_sent", "echo_requests_received", "echo_replies_sent", "echo_replies_received",
	"echo_request_bytes_sent", "echo_request_data_sent", "echo_request_bytes_received", "echo_request_data_received",
	"average_rtt_ms", "echo_request_throughput_kBps", "echo_request_goodput_kBps", "average_reply_delay_us", "average_hops",
	"answered", "lost", "duplicate_replies", "rtt_min_ms", "rtt_p50_ms", "rtt_max_ms", "ambiguous_replies",
}

// ICMPCSV writes the nodes as CSV. Cells that do not apply to a peer row
// are empty.
func ICMPCSV(w io.Writer, nodes []*icmpnode.Node) error {
	cw := csv.NewWriter(w)
	cw.Write(ICMPCSVHeader)
	f := func(v float64, d int) string { return strconv.FormatFloat(v, 'f', d, 64) }
	i := strconv.Itoa
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, n := range nodes {
		p50 := ""
		if v, ok := percentile(n.RTT.Percentiles, 50); ok && n.RTT.N > 0 {
			p50 = f(v, 6)
		}
		cw.Write([]string{n.File, n.Name, n.Addr.String(), "*",
			i(n.RequestsSent), i(n.RequestsReceived), i(n.RepliesSent), i(n.RepliesReceived),
			i64(n.RequestBytesSent), i64(n.RequestDataSent), i64(n.RequestBytesRecv), i64(n.RequestDataRecv),
			f(n.AvgRTTms, 6), f(n.ThroughputKBps, 6), f(n.GoodputKBps, 6), f(n.AvgReplyDelayUs, 3), f(n.AvgHops, 4),
			i(n.Answered), i(n.Lost), i(n.DuplicateReplies), f(n.RTT.Min, 6), p50, f(n.RTT.Max, 6), i(n.AmbiguousReplies)})
		for _, p := range n.Peers {
			p50 := ""
			if v, ok := percentile(p.RTT.Percentiles, 50); ok && p.RTT.N > 0 {
				p50 = f(v, 6)
			}
			cw.Write([]string{n.File, n.Name, n.Addr.String(), p.Addr.String(),
				i(p.RequestsSent), i(p.RequestsReceived), i(p.RepliesSent), "",
				"", "", "", "",
				f(p.RTT.Mean, 6), "", "", "", f(p.AvgHops, 4),
				i(p.Answered), i(p.Lost), "", f(p.RTT.Min, 6), p50, f(p.RTT.Max, 6), i(p.AmbiguousReplies)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func percentile(ps []stats.Percentile, p float64) (float64, bool) {
	for _, q := range ps {
		if q.P == p {
			return q.Value, true
		}
	}
	return 0, false
}

// NSSA prints the NSSA-220 assignment's NodeStats layout exactly as its
// output template (CRLF line ends, a blank line between blocks): counts and
// byte totals as integers, the time and distance metrics with 2 decimals.
func NSSA(w io.Writer, nodes []*icmpnode.Node) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	for i, n := range nodes {
		if i > 0 {
			line("")
		}
		line(n.Name)
		line("")
		line("Echo Requests Sent,Echo Requests Received,Echo Replies Sent,Echo Replies Received")
		line(fmt.Sprintf("%d,%d,%d,%d", n.RequestsSent, n.RequestsReceived, n.RepliesSent, n.RepliesReceived))
		line("Echo Request Bytes Sent (bytes),Echo Request Data Sent (bytes)")
		line(fmt.Sprintf("%d,%d", n.RequestBytesSent, n.RequestDataSent))
		line("Echo Request Bytes Received (bytes),Echo Request Data Received (bytes)")
		line(fmt.Sprintf("%d,%d", n.RequestBytesRecv, n.RequestDataRecv))
		line("")
		line(fmt.Sprintf("Average RTT (milliseconds),%.2f", n.AvgRTTms))
		line(fmt.Sprintf("Echo Request Throughput (kB/sec),%.2f", n.ThroughputKBps))
		line(fmt.Sprintf("Echo Request Goodput (kB/sec),%.2f", n.GoodputKBps))
		line(fmt.Sprintf("Average Reply Delay (microseconds),%.2f", n.AvgReplyDelayUs))
		s := fmt.Sprintf("Average Echo Request Hop Count,%.2f", n.AvgHops)
		if i == len(nodes)-1 {
			b.WriteString(s) // the template ends without a line break
		} else {
			line(s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
