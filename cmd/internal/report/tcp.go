package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/tcpconn"
	"github.com/pcapmeter/pcapmeter/stats"
)

func ms(ok bool, v float64) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v*1e3, 'f', 3, 64)
}

// TCPText prints one line per connection and the summary across them.
func TCPText(w io.Writer, r *tcpconn.Result, gaps bool) {
	fmt.Fprintf(w, "%-6s %-44s %9s %9s %9s %9s %9s %13s %15s %9s %4s %4s %4s %4s %3s %-13s %4s\n",
		"stream", "client -> server", "dur s", "hs ms", "req ms", "ttfb ms", "ttlb ms", "pkts c>s/s>c", "bytes c>s/s>c", "kB/s", "retx", "lost", "ooo", "dupa", "zw", "ended", "http")
	for _, c := range r.Connections {
		roles := ""
		if c.Roles == "port" {
			roles = "?"
		}
		gp := "-"
		if c.HasGoodput {
			gp = strconv.FormatFloat(c.Goodput/1e3, 'f', 1, 64)
		}
		fmt.Fprintf(w, "%-6d %-44s %9.3f %9s %9s %9s %9s %13s %15s %9s %4d %4d %4d %4d %3d %-13s %4d\n",
			c.Stream, c.Client.String()+" -> "+c.Server.String()+roles, c.Dur, ms(c.HasHandshake, c.HandshakeRTT), ms(c.HasRequestDelay, c.RequestDelay),
			ms(c.HasFirstByte, c.FirstByte), ms(c.HasFirstByte, c.LastByte),
			fmt.Sprintf("%d/%d", c.PacketsC2S, c.PacketsS2C), fmt.Sprintf("%d/%d", c.BytesC2S, c.BytesS2C), gp,
			c.Retransmissions, c.LostSegments, c.OutOfOrder, c.DuplicateAcks, c.ZeroWindows, c.Ended, c.HTTPRequests)
		// The rest of the connection's metrics, so the text carries every
		// one the JSON and CSV do.
		irtt := "-"
		if c.TsharkIRTT > 0 {
			irtt = ms(true, c.TsharkIRTT)
		}
		fmt.Fprintf(w, "       %s .. %s; SYN->SYN/ACK %s ms, SYN/ACK->ACK %s ms, tshark iRTT %s ms; MSS c %d s %d; fast retx %d; roles from %s\n",
			c.Start, c.End, ms(c.HasSynAck, c.SynToSynAck), ms(c.HasHandshake, c.SynAckToAck), irtt,
			c.ClientMSS, c.ServerMSS, c.FastRetransmissions, c.Roles)
		if c.SynRetransmissions+c.SynAckRetransmissions > 0 {
			fmt.Fprintf(w, "       handshake resent: %d SYN, %d SYN/ACK retransmissions; connect (first SYN -> ACK) %s ms\n",
				c.SynRetransmissions, c.SynAckRetransmissions, ms(c.HasHandshake, c.ConnectTime))
		}
		if c.TLS != nil {
			fmt.Fprintf(w, "       %s\n", tlsLine(c.TLS))
		}
		if gaps && len(c.Gaps) > 0 {
			fmt.Fprintf(w, "       gaps of the server's data (MSS %d from the %s):\n", c.GapMSS, c.GapMSSSource)
			for _, g := range c.Gaps {
				fmt.Fprintf(w, "         frame %-8d gap %10.6f s  offset %-10d len %-6d %s\n", g.Frame, g.Gap, g.Offset, g.Len, strings.Join(g.Flags, " "))
			}
		}
	}
	s := r.Summary
	fmt.Fprintln(w, "(hs: the handshake that completed, last SYN -> its SYN/ACK -> ACK, without retransmission timeouts; req: handshake ACK -> client's first data; ttfb/ttlb: client's first data -> server's first/last data; ? after the server: roles guessed from ports)")
	if r.Summary.TLS.Connections > 0 {
		fmt.Fprintln(w, tlsLegend)
	}
	fmt.Fprintf(w, "\n%s; %d retransmissions, %d lost segments, %d payload bytes\n", plural(s.Connections, "connection", "connections"), s.Retransmissions, s.LostSegments, s.Bytes)
	dist := func(name string, d stats.Summary, scale float64, unit string) {
		if d.N == 0 {
			fmt.Fprintf(w, "%-22s n/a\n", name)
			return
		}
		parts := []string{}
		for _, p := range d.Percentiles {
			parts = append(parts, fmt.Sprintf("p%s %.3f", strconv.FormatFloat(p.P, 'f', -1, 64), p.Value*scale))
		}
		fmt.Fprintf(w, "%-22s n=%d mean %.3f, %s %s\n", name, d.N, d.Mean*scale, strings.Join(parts, ", "), unit)
	}
	dist("handshake RTT:", s.HandshakeRTT.Summary, 1e3, "ms")
	if s.SynRetransmissions+s.SynAckRetransmissions > 0 {
		fmt.Fprintf(w, "%-22s %d SYN, %d SYN/ACK retransmissions\n", "handshake resent:", s.SynRetransmissions, s.SynAckRetransmissions)
		dist("connect time:", s.ConnectTime.Summary, 1e3, "ms")
	}
	dist("time to first byte:", s.FirstByte.Summary, 1e3, "ms")
	dist("duration:", s.Duration.Summary, 1, "s")
	dist("goodput:", s.Goodput.Summary, 1e-3, "kB/s")
	tlsText(w, r, dist)
	if r.Partial {
		fmt.Fprintln(w, "PARTIAL: the capture is cut short; figures cover the packets before the cut")
	}
}

// TCPCSVHeader is the per-connection CSV layout, the TLS handshake's
// columns last.
var TCPCSVHeader = append([]string{
	"tcp_stream", "client", "server", "roles_from", "start", "end", "duration",
	"syn_to_synack", "synack_to_ack", "handshake_rtt", "tshark_initial_rtt", "client_mss", "server_mss",
	"packets_client_to_server", "packets_server_to_client", "payload_bytes_client_to_server", "payload_bytes_server_to_client",
	"request_delay", "time_to_first_byte", "time_to_last_byte", "goodput_bytes_per_second",
	"retransmissions", "fast_retransmissions", "out_of_order", "lost_segments", "duplicate_acks", "zero_window_events",
	"ended", "http_requests", "connect_time", "syn_retransmissions", "synack_retransmissions",
}, tlsCSVHeader...)

// TCPCSV writes one row per connection; metrics not seen are empty.
func TCPCSV(w io.Writer, r *tcpconn.Result) error {
	cw := csv.NewWriter(w)
	cw.Write(TCPCSVHeader)
	f := func(ok bool, v float64) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 9, 64)
	}
	i := strconv.Itoa
	for _, c := range r.Connections {
		cw.Write(append([]string{strconv.FormatInt(c.Stream, 10), c.Client.String(), c.Server.String(), c.Roles, c.Start, c.End, f(true, c.Dur),
			f(c.HasSynAck, c.SynToSynAck), f(c.HasHandshake, c.SynAckToAck), f(c.HasHandshake, c.HandshakeRTT), f(c.TsharkIRTT > 0, c.TsharkIRTT),
			i(c.ClientMSS), i(c.ServerMSS),
			i(c.PacketsC2S), i(c.PacketsS2C), strconv.FormatInt(c.BytesC2S, 10), strconv.FormatInt(c.BytesS2C, 10),
			f(c.HasRequestDelay, c.RequestDelay), f(c.HasFirstByte, c.FirstByte), f(c.HasFirstByte, c.LastByte), f(c.HasGoodput, c.Goodput),
			i(c.Retransmissions), i(c.FastRetransmissions), i(c.OutOfOrder), i(c.LostSegments), i(c.DuplicateAcks), i(c.ZeroWindows),
			c.Ended, i(c.HTTPRequests), f(c.HasHandshake, c.ConnectTime), i(c.SynRetransmissions), i(c.SynAckRetransmissions)},
			tlsCSV(c.TLS, f)...))
	}
	cw.Flush()
	return cw.Error()
}
