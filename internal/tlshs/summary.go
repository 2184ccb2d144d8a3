package tlshs

import (
	"github.com/pcapmeter/pcapmeter/stats"
)

// Summary is the TLS handshakes across connections: counts, and the
// distributions of the figures where they are defined.
type Summary struct {
	Connections int `json:"connections"`
	Decrypted   int `json:"decrypted"`
	Completed   int `json:"completed"`
	Resumed     int `json:"resumed"`
	HelloRetry  int `json:"hello_retries"`
	// ByVersion counts the connections by the version their ServerHello
	// chose (those without a ServerHello are not counted).
	ByVersion map[string]int `json:"by_version"`
	// FlightEnd counts the handshake times ending at the end of the
	// server's flight (TLS 1.3 without keys) rather than at its Finished.
	FlightEnd  int            `json:"ended_at_server_flight"`
	Incomplete map[string]int `json:"incomplete"`
	HelloRTT   stats.Summary  `json:"hello_rtt"`
	Time       stats.Summary  `json:"handshake_time"`
}

// Summarize sums up hs (nil entries are connections without TLS) with
// nearest-rank percentiles ps.
func Summarize(hs []*Handshake, ps []float64) Summary {
	s := Summary{ByVersion: map[string]int{}, Incomplete: map[string]int{}}
	var hello, total []float64
	for _, h := range hs {
		if h == nil {
			continue
		}
		s.Connections++
		if h.Version != "" {
			s.ByVersion[h.Version]++
		}
		count(&s.Decrypted, h.Decrypted)
		count(&s.Resumed, h.Resumed)
		count(&s.HelloRetry, h.HelloRetry)
		count(&s.FlightEnd, h.End == EndServerFlight)
		if h.Incomplete != "" {
			s.Incomplete[h.Incomplete]++
		}
		if h.HasHelloRTT {
			hello = append(hello, h.HelloRTT)
		}
		if h.HasTime {
			s.Completed++
			total = append(total, h.Time)
		}
	}
	s.HelloRTT, _ = stats.Summarize(hello, ps)
	s.Time, _ = stats.Summarize(total, ps)
	return s
}

func count(n *int, ok bool) {
	if ok {
		*n++
	}
}
