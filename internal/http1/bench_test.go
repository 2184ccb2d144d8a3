package http1

import (
	"bytes"
	"os"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// benchDecode measures decoding plus typed conversion of tshark rows
// (recorded output, repeated) with one of the two decoders, per row.
func benchDecode(b *testing.B, stream func(*parse.Decoder, func(*Row) error) error) {
	one, err := os.ReadFile("testdata/synth-loss-reorder.columns.tsv")
	if err != nil {
		b.Fatal(err)
	}
	in := bytes.Repeat(one, 20)
	rows := bytes.Count(in, []byte("\n"))
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dec := parse.NewDecoder(bytes.NewReader(in), Fields, false)
		n := 0
		if err := stream(dec, func(r *Row) error {
			_, err := ToPacket(r)
			n++
			return err
		}); err != nil || n != rows {
			b.Fatal(err, n, rows)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDecode is gocsv's reflective, channel-fed decoding.
func BenchmarkDecode(b *testing.B) { benchDecode(b, parse.StreamRows[Row]) }

// BenchmarkDecodeFast is the HTTP path's decoder.
func BenchmarkDecodeFast(b *testing.B) { benchDecode(b, parse.Decode[Row]) }

// BenchmarkPair measures the pairer on many keep-alive connections.
func BenchmarkPair(b *testing.B) {
	var pk []Packet
	for c := 0; c < 100; c++ {
		conn := newConn()
		for i := 0; i < 50; i++ {
			conn.req(100)
			conn.data(false, 1400)
			r := conn.resp(200)
			r.FirstSegment = r.Frame - 1
		}
		for i := range conn.pk {
			conn.pk[i].Stream = int64(c)
			conn.pk[i].Frame += int64(c) * 1_000_000
			if conn.pk[i].FirstSegment > 0 {
				conn.pk[i].FirstSegment += int64(c) * 1_000_000
			}
		}
		pk = append(pk, conn.pk...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := NewPairer(Options{Mode: PairTuple}, func(*exchange.Exchange) error { return nil })
		for j := range pk {
			if err := p.Add(&pk[j]); err != nil {
				b.Fatal(err)
			}
		}
		p.Flush()
	}
	b.ReportMetric(float64(b.N*len(pk))/b.Elapsed().Seconds(), "packets/s")
}
