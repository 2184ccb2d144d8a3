// Package http1 is the HTTP/1.x slice of the HTTP measurement: the tshark
// columns it asks for (Row, Fields, DisplayFilter), their typed conversion
// (ToPacket), and the pairing of requests with responses per TCP
// connection (Pairer), which follows each direction's byte stream the way
// its receiver would so that capture gaps, retransmissions and pipelining
// pair right. It produces internal/exchange's Exchanges; what happens to
// them (aggregation, reports) is not its business.
package http1

// Row is one tshark output row as text, one field per column. Every field
// is a string so that "tshark left it empty" and "zero" stay different
// things until Packet's typed conversion decides.
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
	Len         string `csv:"tcp.len"`
	Seq         string `csv:"tcp.seq"`
	Ack         string `csv:"tcp.ack"`
	Flags       string `csv:"tcp.flags"`
	Retrans     string `csv:"tcp.analysis.retransmission"`
	FastRetrans string `csv:"tcp.analysis.fast_retransmission"`
	Spurious    string `csv:"tcp.analysis.spurious_retransmission"`
	OutOfOrder  string `csv:"tcp.analysis.out_of_order"`
	Segments    string `csv:"tcp.segment"`
	Methods     string `csv:"http.request.method"`
	URIs        string `csv:"http.request.uri"`
	Host        string `csv:"http.host"`
	Codes       string `csv:"http.response.code"`
	RequestIn   string `csv:"http.request_in"`
	UDPSrcPort  string `csv:"udp.srcport"`
	ContentLen  string `csv:"http.content_length"`
	TLSSegments string `csv:"tls.segment"`
}

// Fields are the tshark fields behind Row, in column order.
var Fields = []string{
	"frame.number", "frame.time_epoch",
	"ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.ack", "tcp.flags",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
	"tcp.analysis.out_of_order", "tcp.segment",
	"http.request.method", "http.request.uri", "http.host", "http.response.code", "http.request_in",
	"udp.srcport", "http.content_length", "tls.segment",
}

// DisplayFilter selects the rows pairing needs: every TCP segment that
// carries payload (an HTTP message's first byte may sit in a segment that
// tshark only reports as "segment of a reassembled PDU"), FIN and RST (to
// retire connections), and HTTP over UDP (counted, never paired). ICMP
// errors are excluded because the TCP header they quote is dissected too.
const DisplayFilter = "((tcp.len > 0 || tcp.flags.syn == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1) && !icmp && !icmpv6) || (udp && (http || ssdp))"
