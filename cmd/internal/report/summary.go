package report

import (
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/internal/tracesum"
)

// SummaryText prints the trace overview for people.
func SummaryText(w io.Writer, s *tracesum.Summary) {
	gz := ""
	if s.Capture.Compressed {
		gz = ", gzip-compressed"
	}
	fmt.Fprintf(w, "file:          %s (%s%s, %s)\n", s.File, s.Capture.Format, gz, s.LinkType)
	fmt.Fprintf(w, "packets:       %d, %d bytes on the wire\n", s.Packets, s.Bytes)
	if s.Packets == 0 {
		fmt.Fprintln(w, "the capture holds no packets")
		return
	}
	fmt.Fprintf(w, "time:          %s .. %s (%.6f s)\n", s.FirstTime, s.LastTime, s.Duration)
	fmt.Fprintf(w, "rates:         %.2f packets/s, %.0f bit/s, average packet %.2f bytes\n", s.PacketRate, s.BitRate, s.AvgPacket)
	z := s.Size
	fmt.Fprintf(w, "packet size:   mean %.2f, median %.0f, p90 %.0f, p99 %.0f, min %.0f, max %.0f bytes\n",
		z.Mean, z.Percentiles[0].Value, z.Percentiles[1].Value, z.Percentiles[2].Value, z.Min, z.Max)
	if g := s.InterArrival; g.N > 0 {
		fmt.Fprintf(w, "inter-arrival: mean %.6f, median %.6f, p90 %.6f, p99 %.6f s\n",
			g.Mean, g.Percentiles[0].Value, g.Percentiles[1].Value, g.Percentiles[2].Value)
	}
	t := s.TCP
	if t.Connections > 0 {
		rtt := "no handshake seen"
		if t.WithHandshake > 0 {
			rtt = fmt.Sprintf("handshake RTT median %.6f s over %s", t.HandshakeRTT, plural(t.WithHandshake, "connection", "connections"))
		}
		fmt.Fprintf(w, "tcp:           %s; %s; %d retransmissions, %d lost segments\n", plural(t.Connections, "connection", "connections"), rtt, t.Retransmissions, t.LostSegments)
	}
	if s.HTTP.Requests+s.HTTP.Responses > 0 {
		fmt.Fprintf(w, "http:          %d requests, %d responses (pcapmeter http for latencies)\n", s.HTTP.Requests, s.HTTP.Responses)
	}
	if s.ICMP.EchoRequests+s.ICMP.EchoReplies > 0 {
		fmt.Fprintf(w, "icmp echo:     %d requests, %d replies (pcapmeter icmp for RTTs)\n", s.ICMP.EchoRequests, s.ICMP.EchoReplies)
	}
	fmt.Fprintf(w, "\n%-16s %9s %7s %12s %7s\n", "protocol", "packets", "%", "bytes", "%")
	for _, p := range s.Protocols {
		fmt.Fprintf(w, "%-16s %9d %6.1f%% %12d %6.1f%%\n", p.Protocol, p.Packets, 100*p.PacketsShare, p.Bytes, 100*p.BytesShare)
	}
	fmt.Fprintf(w, "\n%-6s %-46s %-46s %8s %12s\n", "proto", "A", "B", "packets", "bytes")
	for _, c := range s.Talkers {
		fmt.Fprintf(w, "%-6s %-46s %-46s %8d %12d\n", c.Transport, c.A, c.B, c.Packets, c.Bytes)
	}
	if s.Conversations > len(s.Talkers) {
		fmt.Fprintf(w, "(%d conversations in all)\n", s.Conversations)
	}
	if s.Partial {
		fmt.Fprintln(w, "PARTIAL: the capture is cut short; figures cover the packets before the cut")
	}
}
