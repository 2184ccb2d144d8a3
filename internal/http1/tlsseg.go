package http1

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

// tlsSegments takes the first frame of an HTTP message reassembled from
// TLS records: over TLS tshark lists the message's frames in tls.segment,
// not tcp.segment, and reports the message on its last frame, so without
// it an HTTPS response's first byte would be its last (ttfb = ttlb). The
// smallest frame of both lists is the message's first (on a real network
// both can be present).
func (p *Packet) tlsSegments(r *Row) error {
	if r.TLSSegments == "" {
		return nil
	}
	for _, s := range strings.Split(r.TLSSegments, ",") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("tls.segment %q", parse.Excerpt(r.TLSSegments))
		}
		if n < p.Frame && (p.FirstSegment == 0 || n < p.FirstSegment) {
			p.FirstSegment = n
		}
	}
	return nil
}
