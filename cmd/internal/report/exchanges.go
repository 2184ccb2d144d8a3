package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// CSVHeader is the per-exchange CSV layout: times are Unix epoch seconds
// with 9 decimals, latencies seconds; empty cells mean "not applicable"
// (no response, no request), never zero.
var CSVHeader = []string{
	"file", "kind", "tcp_stream", "client", "server", "method", "host", "uri", "status", "interim_responses",
	"req_frame", "req_index", "req_first_frame", "req_first_time", "req_last_time",
	"resp_frame", "resp_index", "resp_first_frame", "resp_first_time", "resp_last_time",
	"ttfb", "ttlb", "server_time", "times_estimated", "note",
	"protocol", "stream_id", "grpc_status", "reset",
	"req_body_bytes", "resp_body_bytes", "req_wire_bytes", "resp_wire_bytes",
}

// size is a known byte count, or "" (CSV) / null (JSON Lines).
func size(s exchange.Size) string {
	if !s.Known {
		return ""
	}
	return strconv.FormatInt(s.N, 10)
}

func sizePtr(s exchange.Size) *int64 {
	if !s.Known {
		return nil
	}
	return &s.N
}

// streamID is the HTTP/2 stream id, "" for HTTP/1.
func streamID(e *exchange.Exchange) string {
	if e.Protocol != exchange.H2 {
		return ""
	}
	return strconv.FormatUint(uint64(e.StreamID), 10)
}

// note says why an unmatched request has no response, and whether the
// capture could decide the exchange at all.
func note(e *exchange.Exchange) string {
	if e.Ambiguous != "" {
		if n := plainNote(e); n != "" {
			return "ambiguous (" + e.Ambiguous + "); " + n
		}
		return "ambiguous (" + e.Ambiguous + ")"
	}
	return plainNote(e)
}

func plainNote(e *exchange.Exchange) string {
	switch {
	case e.ResponseLost:
		return "response in a capture gap"
	case e.ResponseIncomplete:
		return "response incomplete"
	case e.Kind == exchange.Unmatched:
		return "no response"
	case e.Kind == exchange.Orphan:
		return "no request in capture"
	case e.Reconstructed:
		n := "reconstructed by sequence numbers"
		if e.RespLastUnknown {
			n += "; response last byte not captured"
		}
		if e.ReqLastUnknown {
			n += "; request last byte not captured"
		}
		if e.Method == "" {
			n += "; request line not parsed by tshark"
		}
		return n
	case e.RespLastUnknown:
		// An HTTP/2 response reset by RST_STREAM or cut by the capture's
		// end (HTTP/1's are reconstructed, above).
		n := "response last byte not captured"
		if e.Reset != "" {
			n = "response reset before its end"
		}
		if e.Method == "" {
			n = "request headers not decoded; " + n
		}
		return n
	case e.Method == "":
		// An HTTP/2 request whose header block tshark could not decode:
		// its response and times are known, its method and path are not.
		return "request headers not decoded"
	}
	return ""
}

// CSV streams exchanges as CSV rows, with RFC 4180 quoting.
type CSV struct {
	w *csv.Writer
}

// NewCSV writes the header and returns the writer.
func NewCSV(w io.Writer) (*CSV, error) {
	c := &CSV{w: csv.NewWriter(w)}
	return c, c.w.Write(CSVHeader)
}

func sec(v float64) string { return strconv.FormatFloat(v, 'f', 9, 64) }

func addrPort(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// Write adds one exchange.
func (c *CSV) Write(file string, e *exchange.Exchange) error {
	row := make([]string, 0, len(CSVHeader))
	row = append(row, file, string(e.Kind), strconv.FormatInt(e.Stream, 10), addrPort(e.Client), addrPort(e.Server),
		e.Method, e.Host, e.URI)
	if e.Kind == exchange.Unmatched {
		row = append(row, "")
	} else {
		row = append(row, strconv.Itoa(e.Status))
	}
	row = append(row, strconv.Itoa(e.Interim))
	if e.Kind != exchange.Orphan {
		row = append(row, strconv.FormatInt(e.Req.Frame, 10), strconv.Itoa(e.Req.Index), strconv.FormatInt(e.ReqFirstFrame, 10), e.ReqFirst.String(), e.ReqLast.String())
	} else {
		row = append(row, "", "", "", "", "")
	}
	switch {
	case e.Kind != exchange.Unmatched:
		row = append(row, strconv.FormatInt(e.Resp.Frame, 10), strconv.Itoa(e.Resp.Index), strconv.FormatInt(e.RespFirstFrame, 10), e.RespFirst.String(), e.RespLast.String())
	case e.ResponseIncomplete:
		row = append(row, "", "", strconv.FormatInt(e.RespFirstFrame, 10), e.RespFirst.String(), "")
	default:
		row = append(row, "", "", "", "", "")
	}
	if e.Kind == exchange.Matched {
		ttlb, st := sec(e.TTLB()), sec(e.ServerTime())
		if e.RespLastUnknown {
			ttlb = "" // undefined: the capture lacks some response bytes
		}
		if e.ReqLastUnknown {
			st = ""
		}
		row = append(row, sec(e.TTFB()), ttlb, st)
	} else {
		row = append(row, "", "", "")
	}
	row = append(row, strconv.FormatBool(e.Estimated), note(e))
	row = append(row, e.Protocol, streamID(e), e.GRPCStatus, e.Reset,
		size(e.ReqBody), size(e.RespBody), size(e.ReqWire), size(e.RespWire))
	return c.w.Write(row)
}

// Flush writes buffered rows and reports any write error.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// JSONL streams exchanges as JSON Lines (one object per exchange, same
// content as the CSV). Absolute times are strings of Unix seconds with 9
// decimals, because a JSON number (float64) cannot hold nanoseconds at
// today's epoch; latencies are numbers in seconds; absent values are null.
type JSONL struct {
	enc *json.Encoder
}

// NewJSONL returns a JSON Lines writer.
func NewJSONL(w io.Writer) *JSONL {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONL{enc: enc}
}

type jsonMsg struct {
	Frame      int64  `json:"frame"`
	Index      int    `json:"index"`
	FirstFrame int64  `json:"first_frame"`
	FirstTime  string `json:"first_time"`
	LastTime   string `json:"last_time,omitempty"`
}

type jsonExchange struct {
	File       string   `json:"file"`
	Kind       string   `json:"kind"`
	TCPStream  int64    `json:"tcp_stream"`
	Client     string   `json:"client"`
	Server     string   `json:"server"`
	Method     string   `json:"method,omitempty"`
	Host       string   `json:"host,omitempty"`
	URI        string   `json:"uri,omitempty"`
	Status     *int     `json:"status"`
	Interim    int      `json:"interim_responses"`
	Request    *jsonMsg `json:"request"`
	Response   *jsonMsg `json:"response"`
	TTFB       *float64 `json:"ttfb"`
	TTLB       *float64 `json:"ttlb"`
	ServerTime *float64 `json:"server_time"`
	Estimated  bool     `json:"times_estimated"`
	Note       string   `json:"note,omitempty"`
	Unanswered string   `json:"unanswered,omitempty"`
	Protocol   string   `json:"protocol"`
	StreamID   *uint32  `json:"stream_id"`
	GRPCStatus string   `json:"grpc_status,omitempty"`
	Reset      string   `json:"reset,omitempty"`
	ReqBody    *int64   `json:"req_body_bytes"`
	RespBody   *int64   `json:"resp_body_bytes"`
	ReqWire    *int64   `json:"req_wire_bytes"`
	RespWire   *int64   `json:"resp_wire_bytes"`
}

// Write adds one exchange.
func (j *JSONL) Write(file string, e *exchange.Exchange) error {
	out := jsonExchange{File: file, Kind: string(e.Kind), TCPStream: e.Stream, Client: addrPort(e.Client), Server: addrPort(e.Server),
		Method: e.Method, Host: e.Host, URI: e.URI, Interim: e.Interim, Estimated: e.Estimated, Note: note(e), Unanswered: e.Unanswered,
		Protocol: e.Protocol, GRPCStatus: e.GRPCStatus, Reset: e.Reset,
		ReqBody: sizePtr(e.ReqBody), RespBody: sizePtr(e.RespBody), ReqWire: sizePtr(e.ReqWire), RespWire: sizePtr(e.RespWire)}
	if e.Protocol == exchange.H2 {
		id := e.StreamID
		out.StreamID = &id
	}
	if e.Kind != exchange.Unmatched {
		st := e.Status
		out.Status = &st
	}
	if e.Kind != exchange.Orphan {
		out.Request = &jsonMsg{Frame: e.Req.Frame, Index: e.Req.Index, FirstFrame: e.ReqFirstFrame, FirstTime: e.ReqFirst.String(), LastTime: e.ReqLast.String()}
	}
	switch {
	case e.Kind != exchange.Unmatched:
		out.Response = &jsonMsg{Frame: e.Resp.Frame, Index: e.Resp.Index, FirstFrame: e.RespFirstFrame, FirstTime: e.RespFirst.String(), LastTime: e.RespLast.String()}
	case e.ResponseIncomplete:
		out.Response = &jsonMsg{FirstFrame: e.RespFirstFrame, FirstTime: e.RespFirst.String()}
	}
	if e.Kind == exchange.Matched {
		a, b, c := e.TTFB(), e.TTLB(), e.ServerTime()
		out.TTFB, out.TTLB, out.ServerTime = &a, &b, &c
		if e.RespLastUnknown {
			out.TTLB = nil
		}
		if e.ReqLastUnknown {
			out.ServerTime = nil
		}
	}
	return j.enc.Encode(&out)
}

// reconstructionText says, under a server's counts, which of its figures
// rest on a reconstruction: exchanges placed by sequence numbers, those
// the capture cannot pair for certain, and exchanges left out of ttlb or
// server time because a last byte is missing. Nothing when none.
func reconstructionText(w io.Writer, c httplat.Counts) {
	if c.Reconstructed == 0 && c.TTLBUndefined == 0 && c.ServerTimeUndefined == 0 {
		return
	}
	var parts []string
	if c.Reconstructed > 0 {
		p := fmt.Sprintf("%d exchanges reconstructed by sequence numbers (a gap the capture never fills, or a message tshark never completed or parsed)", c.Reconstructed)
		if c.Ambiguous > 0 {
			p += fmt.Sprintf(", %d of them ambiguous (pipelined across a gap: pairing is a guess)", c.Ambiguous)
		}
		parts = append(parts, p)
	}
	if c.TTLBUndefined > 0 {
		parts = append(parts, fmt.Sprintf("ttlb undefined for %d (response last byte not captured)", c.TTLBUndefined))
	}
	if c.ServerTimeUndefined > 0 {
		parts = append(parts, fmt.Sprintf("server time undefined for %d (request last byte not captured)", c.ServerTimeUndefined))
	}
	fmt.Fprintf(w, "note:        %s\n", strings.Join(parts, "; "))
}
