package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/internal/tcpconn"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
)

// TCPSchema names tcp's JSON layout. v2: undefined figures are null
// (v1 had 0 and a has_… flag, now gone), MSS null when not announced,
// units, tshark_version and warnings added; a connection's TLS handshake
// (tls, null without TLS) and summary.tls added since, within v2 since
// nothing was removed or changed.
const TCPSchema = "pcapmeter.tcp/v2"

// tcpConnJSON is a connection in JSON. It embeds the analysis' own
// connection, so that a figure added there appears here, and shadows the
// fields that may be undefined with nullable ones of the same name; the
// has_… flags are shadowed by nil pointers omitted from the output.
type tcpConnJSON struct {
	*tcpconn.Conn
	HasHandshake    *bool `json:"has_handshake,omitempty"`
	HasSynAck       *bool `json:"has_syn_to_synack,omitempty"`
	HasRequestDelay *bool `json:"has_request_delay,omitempty"`
	HasFirstByte    *bool `json:"has_first_byte,omitempty"`
	HasGoodput      *bool `json:"has_goodput,omitempty"`

	SynToSynAck  *float64 `json:"syn_to_synack"`
	SynAckToAck  *float64 `json:"synack_to_ack"`
	HandshakeRTT *float64 `json:"handshake_rtt"`
	ConnectTime  *float64 `json:"connect_time"`
	TsharkIRTT   *float64 `json:"tshark_initial_rtt"`
	ClientMSS    *int     `json:"client_mss"`
	ServerMSS    *int     `json:"server_mss"`
	RequestDelay *float64 `json:"request_delay"`
	FirstByte    *float64 `json:"time_to_first_byte"`
	LastByte     *float64 `json:"time_to_last_byte"`
	Goodput      *float64 `json:"goodput_bytes_per_second"`
	TLS          *tlsJSON `json:"tls"`
}

// tlsJSON is a connection's TLS handshake with its undefined figures
// null.
type tlsJSON struct {
	*tlshs.Handshake
	Version    *string  `json:"version"`
	HelloFrame *int64   `json:"client_hello_frame"`
	SNI        *string  `json:"sni"`
	HelloRTT   *float64 `json:"hello_rtt"`
	Time       *float64 `json:"handshake_time"`
	End        *string  `json:"handshake_end"`
	EndFrame   *int64   `json:"handshake_end_frame"`
	Incomplete *string  `json:"incomplete"`
	Alert      *string  `json:"alert"`
}

func tlsConn(h *tlshs.Handshake) *tlsJSON {
	if h == nil {
		return nil
	}
	return &tlsJSON{Handshake: h, Version: orNull(h.Version != "", h.Version), SNI: orNull(h.SNI != "", h.SNI),
		HelloFrame: orNull(h.ClientHelloFrame > 0, h.ClientHelloFrame),
		HelloRTT:   orNull(h.HasHelloRTT, h.HelloRTT), Time: orNull(h.HasTime, h.Time),
		End: orNull(h.HasTime, h.End), EndFrame: orNull(h.HasTime, h.EndFrame),
		Incomplete: orNull(h.Incomplete != "", h.Incomplete), Alert: orNull(h.Alert != "", h.Alert)}
}

// tlsSummaryJSON is the TLS summary with nullable distributions.
type tlsSummaryJSON struct {
	*tlshs.Summary
	HelloRTT jsonDist `json:"hello_rtt"`
	Time     jsonDist `json:"handshake_time"`
}

func tcpConn(c *tcpconn.Conn) tcpConnJSON {
	return tcpConnJSON{
		Conn:         c,
		TLS:          tlsConn(c.TLS),
		SynToSynAck:  orNull(c.HasSynAck, c.SynToSynAck),
		SynAckToAck:  orNull(c.HasHandshake, c.SynAckToAck),
		HandshakeRTT: orNull(c.HasHandshake, c.HandshakeRTT),
		ConnectTime:  orNull(c.HasHandshake, c.ConnectTime),
		TsharkIRTT:   orNull(c.TsharkIRTT > 0, c.TsharkIRTT),
		ClientMSS:    orNull(c.ClientMSS > 0, c.ClientMSS),
		ServerMSS:    orNull(c.ServerMSS > 0, c.ServerMSS),
		RequestDelay: orNull(c.HasRequestDelay, c.RequestDelay),
		FirstByte:    orNull(c.HasFirstByte, c.FirstByte),
		LastByte:     orNull(c.HasFirstByte, c.LastByte),
		Goodput:      orNull(c.HasGoodput, c.Goodput),
	}
}

// tcpSummaryJSON is the across-connections view with nullable
// distributions.
type tcpSummaryJSON struct {
	*tcpconn.Summary
	HandshakeRTT jsonDist       `json:"handshake_rtt"`
	ConnectTime  jsonDist       `json:"connect_time"`
	FirstByte    jsonDist       `json:"time_to_first_byte"`
	Duration     jsonDist       `json:"duration"`
	Goodput      jsonDist       `json:"goodput_bytes_per_second"`
	TLS          tlsSummaryJSON `json:"tls"`
}

type tcpUnits struct {
	Time       string `json:"time"`
	Size       string `json:"size"`
	Goodput    string `json:"goodput"`
	Timestamps string `json:"timestamps"`
}

// TCPJSON prints the analysis as one JSON document (schema TCPSchema).
// The connections are encoded one at a time into the document's place
// for them (writeStreamed): the document whole in memory was ~3 kB per
// connection, most of what the tcp subcommand held per connection.
func TCPJSON(w io.Writer, r *tcpconn.Result, m Meta) error {
	guessed := 0
	for _, c := range r.Connections {
		if c.Roles == "port" {
			guessed++
		}
	}
	var own []string
	if guessed > 0 {
		own = append(own, fmt.Sprintf("%s without a SYN or an HTTP request: client and server guessed from the ports (roles_from: port)", plural(guessed, "connection", "connections")))
	}
	if r.Partial {
		own = append(own, cutShort)
	}
	own = append(own, tlsWarning(r))
	s := r.Summary
	t := s.TLS
	doc := struct {
		Schema   string   `json:"schema"`
		Tshark   string   `json:"tshark_version"`
		Units    tcpUnits `json:"units"`
		Warnings []string `json:"warnings"`
		*tcpconn.Result
		Connections []tcpConnJSON  `json:"connections"`
		Summary     tcpSummaryJSON `json:"summary"`
	}{
		Schema: TCPSchema, Tshark: m.Tshark,
		Units:    tcpUnits{Time: "seconds", Size: "bytes", Goodput: "bytes per second", Timestamps: "RFC 3339, UTC"},
		Warnings: warnings(m, own...), Result: r, Connections: []tcpConnJSON{},
		Summary: tcpSummaryJSON{Summary: &s, HandshakeRTT: dist(s.HandshakeRTT.Summary), ConnectTime: dist(s.ConnectTime.Summary),
			FirstByte: dist(s.FirstByte.Summary), Duration: dist(s.Duration.Summary), Goodput: dist(s.Goodput.Summary),
			TLS: tlsSummaryJSON{Summary: &t, HelloRTT: dist(t.HelloRTT), Time: dist(t.Time)}},
	}
	return writeStreamed(w, doc, "connections", len(r.Connections), func(i int) any { return tcpConn(r.Connections[i]) })
}

// writeStreamed writes doc as writeJSON does, its top-level array key
// (encoded empty in doc) holding the n elements elem gives, each encoded
// on its own: the same bytes as the whole document encoded at once
// (TestTCPJSONStreamed), without the whole document in memory.
func writeStreamed(w io.Writer, doc any, key string, n int, elem func(i int) any) error {
	var head bytes.Buffer
	if err := jsonEncoder(&head, true).Encode(doc); err != nil {
		return err
	}
	mark := []byte("\n  \"" + key + "\": []")
	at := bytes.Index(head.Bytes(), mark)
	if at < 0 && n > 0 {
		// Writing the document anyway would drop every element.
		return fmt.Errorf("json: no empty %q array to stream %d elements into", key, n)
	}
	if at < 0 || n == 0 {
		_, err := w.Write(head.Bytes())
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head.Bytes()[:at+len(mark)-1])
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	for i := 0; i < n; i++ {
		one.Reset()
		if err := enc.Encode(elem(i)); err != nil {
			return err
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
		if i < n-1 {
			bw.WriteByte(',')
		}
	}
	bw.WriteString("\n  ]")
	bw.Write(head.Bytes()[at+len(mark):])
	return bw.Flush()
}
