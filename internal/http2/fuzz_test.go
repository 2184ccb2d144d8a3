package http2

import (
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// FuzzRow: any tshark row converts without a panic, and whatever converts
// pairs without one.
func FuzzRow(f *testing.F) {
	f.Add("27", "1.5", "1", "0", "39294", "443", "0", "", "25,27", "1,3", "HEADERS,RST_STREAM", "0x05,0x00", "2", "32",
		":method,grpc-status", "3,0", "GET", "CANCEL", "", "")
	f.Add("69", "2", "1", "3", "1", "2", "1", "101,120", "", "1", "HEADERS", "0x05", "2", "",
		"grpc-message,grpc-status", "0,1", "0", "", "", "")
	f.Fuzz(func(t *testing.T, frame, tm, sp, dp, srcPort, dstPort, stream, tcpSeg, tlsSeg, ids, types, flags, count, blocks, names, lens, vals, rst, promised, goaway string) {
		r := Row{Frame: frame, Time: tm, IPSrc: "10.0.0." + sp, IPDst: "10.0.0." + dp, SrcPort: srcPort, DstPort: dstPort,
			Stream: stream, TCPSegments: tcpSeg, TLSSegments: tlsSeg, StreamIDs: ids, Types: types, Flags: flags,
			HeaderCount: count, HeaderLens: blocks, HeaderNames: names, ValueLens: lens, Values: vals, RSTErrors: rst, Promised: promised,
			GoAwayLast: goaway, H1Upgrade: strings.ToUpper(vals)}
		pk, err := ToPacket(&r)
		if err != nil {
			return
		}
		p := NewPairer(func(*exchange.Exchange) error { return nil })
		if err := p.Add(&pk); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Flush(); err != nil {
			t.Fatal(err)
		}
	})
}
