package report

import (
	"io"

	"github.com/pcapmeter/pcapmeter/internal/tracesum"
)

// SummarySchema names summary's JSON layout. v2: times, rates and
// distributions are null when the capture cannot give them (no packet,
// one packet, no handshake; v1 had 0), tshark_version, units and
// warnings added.
const SummarySchema = "pcapmeter.summary/v2"

// summaryTCPJSON shadows the median handshake RTT, undefined without a
// handshake.
type summaryTCPJSON struct {
	tracesum.TCPSummary
	HandshakeRTT *float64 `json:"handshake_rtt_median"`
}

type summaryUnits struct {
	Time       string `json:"time"`
	Size       string `json:"size"`
	Shares     string `json:"shares"`
	Timestamps string `json:"timestamps"`
}

// SummaryJSON prints the overview as one JSON document (schema
// SummarySchema). It embeds the analysis' summary, so that a figure added
// there appears here, and shadows the figures that may be undefined.
func SummaryJSON(w io.Writer, s *tracesum.Summary, m Meta) error {
	has := s.Packets > 0
	var own []string
	if s.Partial {
		own = append(own, cutShort)
	}
	return writeJSON(w, struct {
		Schema   string       `json:"schema"`
		Tshark   string       `json:"tshark_version"`
		Units    summaryUnits `json:"units"`
		Warnings []string     `json:"warnings"`
		*tracesum.Summary
		FirstTime    *string        `json:"first_time"`
		LastTime     *string        `json:"last_time"`
		Duration     *float64       `json:"duration"`
		PacketRate   *float64       `json:"packets_per_second"`
		BitRate      *float64       `json:"bits_per_second"`
		AvgPacket    *float64       `json:"average_packet_size"`
		Size         jsonDist       `json:"packet_size"`
		InterArrival jsonDist       `json:"inter_arrival"`
		TCP          summaryTCPJSON `json:"tcp"`
	}{
		Schema: SummarySchema, Tshark: m.Tshark,
		Units:    summaryUnits{Time: "seconds", Size: "bytes", Shares: "fraction of the whole capture, 0..1", Timestamps: "RFC 3339, UTC"},
		Warnings: warnings(m, own...), Summary: s,
		FirstTime: orNull(has, s.FirstTime), LastTime: orNull(has, s.LastTime), Duration: orNull(has, s.Duration),
		PacketRate: orNull(s.Duration > 0, s.PacketRate), BitRate: orNull(s.Duration > 0, s.BitRate), AvgPacket: orNull(has, s.AvgPacket),
		Size: dist(s.Size), InterArrival: dist(s.InterArrival),
		TCP: summaryTCPJSON{TCPSummary: s.TCP, HandshakeRTT: orNull(s.TCP.WithHandshake > 0, s.TCP.HandshakeRTT)},
	})
}
