package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/tracesum"
)

// SummaryCSVHeader is the layout of SummaryCSV: one table whose kind
// column says what a row counts. "total" is the whole capture, "protocol"
// one top protocol of the mix, "conversation" one of the top
// conversations; a cell that does not apply to a row's kind is empty.
var SummaryCSVHeader = []string{
	"file", "kind", "protocol", "a", "b", "packets", "bytes",
	"packets_share", "bytes_share", "bytes_a_to_b", "bytes_b_to_a",
}

// SummaryCSV writes the overview's tables (the packet counts a data frame
// would group) as CSV: the total first, then the protocols, then the
// conversations, each ranked as in the text.
func SummaryCSV(w io.Writer, s *tracesum.Summary) error {
	cw := csv.NewWriter(w)
	cw.Write(SummaryCSVHeader)
	i := strconv.Itoa
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	cw.Write([]string{s.File, "total", "", "", "", i(s.Packets), i64(s.Bytes), "", "", "", ""})
	for _, p := range s.Protocols {
		cw.Write([]string{s.File, "protocol", p.Protocol, "", "", i(p.Packets), i64(p.Bytes), f(p.PacketsShare), f(p.BytesShare), "", ""})
	}
	for _, c := range s.Talkers {
		cw.Write([]string{s.File, "conversation", c.Transport, c.A, c.B, i(c.Packets), i64(c.Bytes), "", "", i64(c.AtoB), i64(c.BtoA)})
	}
	cw.Flush()
	return cw.Error()
}
