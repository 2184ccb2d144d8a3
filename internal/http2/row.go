// Package http2 is the HTTP/2 slice of the HTTP measurement: the tshark
// columns it asks for (Row, Fields, DisplayFilter), their typed conversion
// into frames (ToPacket), and the pairing of each stream's request with its
// response (Pairer), by connection and stream id. It produces
// internal/exchange's Exchanges with Protocol "h2", and counts what is not
// an exchange (resets, pushes, GOAWAYs, TLS connections without keys).
//
// tshark 4.0 prints http2.streamid, http2.type and http2.flags with exactly
// one value per frame, and http2.header.count and http2.header.length one
// value per header block fragment; every other HTTP/2 field is per occurrence and is placed through
// those (see notes/tshark-h2-tls-facts.md).
package http2

import "github.com/pcapmeter/pcapmeter/tshark"

// Row is one tshark output row as text, one field per column.
type Row struct {
	Frame       string `csv:"frame.number"`
	Time        string `csv:"frame.time_epoch"`
	IPSrc       string `csv:"ip.src"`
	IPv6Src     string `csv:"ipv6.src"`
	IPDst       string `csv:"ip.dst"`
	IPv6Dst     string `csv:"ipv6.dst"`
	SrcPort     string `csv:"tcp.srcport"`
	DstPort     string `csv:"tcp.dstport"`
	Stream      string `csv:"tcp.stream"`
	TCPSegments string `csv:"tcp.segment"`
	TLSSegments string `csv:"tls.segment"`
	StreamIDs   string `csv:"http2.streamid"`
	Types       string `csv:"http2.type"`
	Flags       string `csv:"http2.flags"`
	HeaderCount string `csv:"http2.header.count"`
	HeaderLens  string `csv:"http2.header.length"`
	HeaderNames string `csv:"http2.header.name"`
	ValueLens   string `csv:"http2.header.value.length"`
	Values      string `csv:"http2.header.value"`
	RSTErrors   string `csv:"http2.rst_stream.error"`
	Promised    string `csv:"http2.push_promise.promised_stream_id"`
	GoAwayLast  string `csv:"http2.goaway.last_stream_id"`
	H1Methods   string `csv:"http.request.method"`
	H1URIs      string `csv:"http.request.uri"`
	H1Codes     string `csv:"http.response.code"`
	H1Upgrade   string `csv:"http.upgrade"`
	TLSHSTypes  string `csv:"tls.handshake.type"`
	SNI         string `csv:"tls.handshake.extensions_server_name"`
}

// Fields are the tshark fields behind Row, in column order.
var Fields = []string{
	"frame.number", "frame.time_epoch",
	"ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.segment", "tls.segment",
	"http2.streamid", "http2.type", "http2.flags", "http2.header.count", "http2.header.length", "http2.header.name",
	"http2.header.value.length", "http2.header.value",
	"http2.rst_stream.error", "http2.push_promise.promised_stream_id", "http2.goaway.last_stream_id",
	"http.request.method", "http.request.uri", "http.response.code", "http.upgrade",
	"tls.handshake.type", "tls.handshake.extensions_server_name",
}

// DisplayFilter selects HTTP/2 frames, TLS handshakes (to count TLS
// connections and see which were decrypted), HTTP/1 messages (an
// Upgrade: h2c request is stream 1's request) and every other segment with
// payload: a frame split over segments or TLS records starts in one that
// tshark reports only as "segment of a reassembled PDU", and its time is
// the first byte's.
const DisplayFilter = "(http2 || tls.handshake || http || tcp.len > 0) && !icmp && !icmpv6"

// Spec is the tshark command for the HTTP/2 rows of file: keylog, when
// set, is the key log path tshark reads (one file), ports are decoded as
// HTTP (where h2c with prior knowledge is found).
func Spec(file, keylog string, ports []uint16) tshark.Spec {
	var prefs []string
	if keylog != "" {
		prefs = append(prefs, "tls.keylog_file:"+keylog)
	}
	return tshark.Spec{Input: file, Fields: Fields, Mode: tshark.Columns,
		DisplayFilter: DisplayFilter, HTTPPorts: ports, Prefs: prefs}
}
