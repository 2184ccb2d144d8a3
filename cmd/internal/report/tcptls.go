package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/tcpconn"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
	"github.com/pcapmeter/pcapmeter/stats"
)

// tlsLine is a connection's TLS handshake in the text report.
func tlsLine(h *tlshs.Handshake) string {
	var tags []string
	for _, t := range []struct {
		on   bool
		name string
	}{{h.Resumed, "resumed"}, {h.HelloRetry, "HelloRetryRequest"}, {h.EarlyData, "early data"}, {h.Decrypted, "decrypted"}} {
		if t.on {
			tags = append(tags, t.name)
		}
	}
	v := h.Version
	if v == "" {
		v = "TLS"
	}
	if len(tags) > 0 {
		v += " (" + strings.Join(tags, ", ") + ")"
	}
	if h.SNI != "" {
		v += " " + h.SNI
	}
	s := v + ":"
	if h.ClientHelloFrame > 0 {
		s += fmt.Sprintf(" ClientHello frame %d;", h.ClientHelloFrame)
	}
	s += fmt.Sprintf(" hello %s ms", ms(h.HasHelloRTT, h.HelloRTT))
	if h.HasTime {
		end := "server Finished"
		if h.End == tlshs.EndServerFlight {
			end = "end of the server's flight (no keys)"
		}
		return s + fmt.Sprintf(", handshake %s ms to the %s, frame %d", ms(true, h.Time), end, h.EndFrame)
	}
	s += ", handshake not completed: " + strings.ReplaceAll(h.Incomplete, "_", " ")
	if h.Alert != "" {
		s += " (" + h.Alert + ")"
	}
	return s
}

// tlsLegend explains the TLS figures of the text report.
const tlsLegend = "(TLS hello: first ClientHello -> first ServerHello, first segments; handshake: first ClientHello -> the segment ending " +
	"the server's Finished, or for TLS 1.3 without keys the end of the server's first flight, its last segment before the client's first encrypted record)"

// tlsText prints the TLS handshakes' summary, nothing without TLS.
func tlsText(w io.Writer, r *tcpconn.Result, dist func(string, stats.Summary, float64, string)) {
	t := r.Summary.TLS
	if t.Connections == 0 {
		return
	}
	fmt.Fprintf(w, "%-22s %s, %d completed, %d resumed, %d HelloRetryRequest, %d decrypted", "TLS handshakes:",
		plural(t.Connections, "connection", "connections"), t.Completed, t.Resumed, t.HelloRetry, t.Decrypted)
	if t.FlightEnd > 0 {
		fmt.Fprintf(w, "; %d TLS 1.3 timed to the end of the server's flight (without keys)", t.FlightEnd)
	}
	fmt.Fprintln(w)
	if len(t.Incomplete) > 0 {
		fmt.Fprintf(w, "%-22s %s\n", "TLS not completed:", counts(t.Incomplete))
	}
	dist("TLS hello:", t.HelloRTT, 1e3, "ms")
	dist("TLS handshake:", t.Time, 1e3, "ms")
	if warn := tlsWarning(r); warn != "" {
		fmt.Fprintln(w, "WARNING: "+warn)
	}
}

// counts prints a reason → count map in a stable order.
func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.ReplaceAll(k, "_", " ") + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

// tlsWarning says which TLS 1.3 handshakes a given key log did not
// decrypt (they are timed by the proxy); "" when none or no key log.
func tlsWarning(r *tcpconn.Result) string {
	if !r.KeyLog {
		return ""
	}
	var missed []string
	n := 0
	for _, c := range r.Connections {
		if h := c.TLS; h != nil && strings.HasPrefix(h.Version, "TLS 1.3") && !h.Decrypted {
			n++
			if len(missed) < 5 {
				missed = append(missed, fmt.Sprintf("%s -> %s (ClientHello in frame %d)", c.Client, c.Server, h.ClientHelloFrame))
			}
		}
	}
	if n == 0 {
		return ""
	}
	more := ""
	if n > len(missed) {
		more = fmt.Sprintf(" and %d more", n-len(missed))
	}
	return fmt.Sprintf("the key log holds no keys for %s: %s%s; their handshakes end at the server's flight, not its Finished",
		plural(n, "TLS 1.3 connection", "TLS 1.3 connections"), strings.Join(missed, ", "), more)
}

// tlsCSVHeader are the TLS columns of the per-connection CSV.
var tlsCSVHeader = []string{"tls_version", "tls_sni", "tls_resumed", "tls_hello_retry", "tls_decrypted",
	"tls_hello_rtt", "tls_handshake_time", "tls_handshake_end", "tls_handshake_end_frame", "tls_incomplete", "tls_alert"}

// tlsCSV is a connection's TLS columns, all empty without TLS.
func tlsCSV(h *tlshs.Handshake, f func(bool, float64) string) []string {
	if h == nil {
		return make([]string, len(tlsCSVHeader))
	}
	b := strconv.FormatBool
	frame := ""
	if h.HasTime {
		frame = strconv.FormatInt(h.EndFrame, 10)
	}
	return []string{h.Version, h.SNI, b(h.Resumed), b(h.HelloRetry), b(h.Decrypted),
		f(h.HasHelloRTT, h.HelloRTT), f(h.HasTime, h.Time), h.End, frame, h.Incomplete, h.Alert}
}
