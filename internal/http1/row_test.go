package http1

import (
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// recorded returns tshark's output for a testdata capture, recorded in
// internal/http1/testdata (regenerate with go test ./internal/http1 -update).
func recorded(t *testing.T, capture string, mode tshark.OutputMode, ports []uint16) []byte {
	t.Helper()
	name := strings.TrimSuffix(filepath.Base(capture), filepath.Ext(capture))
	suffix := ".columns.tsv"
	if mode == tshark.Fields {
		suffix = ".fields.tsv"
	}
	fixture := filepath.Join("testdata", name+suffix)
	if testutil.Update() {
		bin := testutil.Tshark(t)
		args, err := tshark.Args(tshark.Spec{Input: testutil.Testdata("http", capture), Fields: Fields, Mode: mode,
			DisplayFilter: DisplayFilter, HTTPPorts: ports, Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := tshark.Start(context.Background(), bin, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(p.Stdout)
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatalf("%v (record it with go test ./internal/http1 -update)", err)
	}
	return b
}

func decodeAll(t *testing.T, in []byte, withHeader bool) []Packet {
	t.Helper()
	var out []Packet
	dec := parse.NewDecoder(strings.NewReader(string(in)), Fields, withHeader)
	err := parse.StreamRows(dec, func(r *Row) error {
		p, err := ToPacket(r)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeRecordedOutput(t *testing.T) {
	cases := []struct {
		capture                    string
		ports                      []uint16
		ipv6                       bool
		reqs, resps, multi         int
		reassembled, retransmitted bool
	}{
		// 3 connections × 8 requests written 4 to a segment, 23 answered.
		{"pipelined-v6-port6000.pcapng", []uint16{6000}, true, 24, 23, 6, false, false},
		// 4 × 20 exchanges with loss and reordering, multi-segment bodies.
		{"synth-loss-reorder.pcapng", nil, false, 80, 80, 0, true, true},
	}
	for _, c := range cases {
		for _, mode := range []tshark.OutputMode{tshark.Columns, tshark.Fields} {
			pk := decodeAll(t, recorded(t, c.capture, mode, c.ports), mode == tshark.Fields)
			var reqs, resps, multi, withFirst, rtx int
			for _, p := range pk {
				if !p.HasStream || p.Src.Is6() != c.ipv6 || p.Dst.Is6() != c.ipv6 {
					t.Fatalf("%s frame %d: not a TCP row of the right family: %+v", c.capture, p.Frame, p)
				}
				reqs += len(p.Methods)
				resps += len(p.Codes)
				if len(p.Methods) > 1 {
					multi++
					if len(p.URIs) != len(p.Methods) || !strings.HasPrefix(p.URIs[1], "/c") {
						t.Errorf("frame %d: pipelined URIs not split: %q", p.Frame, p.URIs)
					}
				}
				if p.FirstSegment > 0 {
					withFirst++
				}
				if p.Retransmission {
					rtx++
				}
			}
			if reqs != c.reqs || resps != c.resps || multi != c.multi {
				t.Errorf("%s mode %d: %d requests, %d responses, %d pipelined frames", c.capture, mode, reqs, resps, multi)
			}
			if (withFirst > 0) != c.reassembled || (rtx > 0) != c.retransmitted {
				t.Errorf("%s mode %d: %d reassembled, %d retransmissions", c.capture, mode, withFirst, rtx)
			}
		}
	}
}

func TestToPacketEmptyIsNotZero(t *testing.T) {
	r := &Row{Frame: "7", Time: "1700000000.000000001", IPSrc: "10.0.0.1", IPDst: "10.0.0.2", SrcPort: "1", DstPort: "80", Stream: "0"}
	p, err := ToPacket(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len != 0 || p.Methods != nil || p.Codes != nil || p.FirstSegment != 0 || p.Retransmission {
		t.Errorf("%+v", p)
	}
	if p.Time != 1700000000000000001 {
		t.Errorf("time %d", p.Time)
	}
	// A row without tcp.stream is not a TCP packet, even if other fields
	// would read as 0.
	p, err = ToPacket(&Row{Frame: "8", Time: "1.5"})
	if err != nil || p.HasStream || p.Stream != 0 {
		t.Errorf("%+v %v", p, err)
	}
	// Stream 0 is a real stream.
	r.Stream = "0"
	if p, _ := ToPacket(r); !p.HasStream {
		t.Error("tcp.stream 0 lost")
	}
}

func TestToPacketTunnelAndMultiValues(t *testing.T) {
	r := &Row{Frame: "4", Time: "1.0", IPSrc: "10.1.200.131,172.16.11.201", IPDst: "10.1.200.132,54.86.237.188",
		SrcPort: "5555", DstPort: "80", Stream: "2", Len: "100", Flags: "0x018",
		Codes: "200,204", RequestIn: "3", Segments: "1,2,4", Retrans: "✓"}
	p, err := ToPacket(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Src.String() != "172.16.11.201" || p.Dst.String() != "54.86.237.188" {
		t.Errorf("innermost addresses: %v → %v", p.Src, p.Dst)
	}
	if len(p.Codes) != 2 || p.RequestIn[0] != 3 || p.RequestIn[1] != 0 || p.FirstSegment != 1 || !p.Retransmission || p.Flags != 0x18 {
		t.Errorf("%+v", p)
	}
}

func TestToPacketRejectsGarbage(t *testing.T) {
	bad := []Row{
		{Frame: "x", Time: "1"},
		{Frame: "1", Time: "1,5"},
		{Frame: "1", Time: "1.5", Stream: "0", IPSrc: "nope", IPDst: "10.0.0.1", SrcPort: "1", DstPort: "2"},
		{Frame: "1", Time: "1.5", Stream: "0", IPSrc: "10.0.0.2", IPDst: "10.0.0.1", SrcPort: "70000", DstPort: "2"},
		{Frame: "1", Time: "1.5", Stream: "0", IPSrc: "10.0.0.2", IPDst: "10.0.0.1", SrcPort: "1", DstPort: "2", Codes: "OK"},
	}
	for i, r := range bad {
		if _, err := ToPacket(&r); err == nil {
			t.Errorf("row %d accepted: %+v", i, r)
		}
	}
}

// FuzzRow feeds arbitrary tab-separated lines through the decoder and the
// typed conversion: they may be rejected, never panic, and what is
// accepted is consistent.
func FuzzRow(f *testing.F) {
	f.Add("4\t1258577884.844956000\t192.168.1.104\t\t63.245.209.11\t\t1673\t80\t0\t394\t1\t1\t0x018\t\t\t\t\t\tGET\t/style.css\twww\t\t\t\t")
	f.Add("12\t1.5\t\t::1\t\t::1\t80\t1673\t0\t250\t1\t1\t0x018\t✓\t\t\t\t7,8,12\t\t\t\t200,100\t6\t\t5")
	f.Add("3\t1.0\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tM-SEARCH\t*\t\t\t\t1900\t")
	f.Fuzz(func(t *testing.T, line string) {
		// The fast decoder must read every line exactly as gocsv does.
		var viaGocsv, viaFast []Row
		errG := parse.StreamRows(parse.NewDecoder(strings.NewReader(line), Fields, false), func(r *Row) error { viaGocsv = append(viaGocsv, *r); return nil })
		errF := parse.Decode(parse.NewDecoder(strings.NewReader(line), Fields, false), func(r *Row) error { viaFast = append(viaFast, *r); return nil })
		if (errG == nil) != (errF == nil) || len(viaGocsv) != len(viaFast) {
			t.Fatalf("gocsv: %d rows, %v; fast: %d rows, %v", len(viaGocsv), errG, len(viaFast), errF)
		}
		for i := range viaGocsv {
			if viaGocsv[i] != viaFast[i] {
				t.Fatalf("row %d: gocsv %+v, fast %+v", i, viaGocsv[i], viaFast[i])
			}
		}
		dec := parse.NewDecoder(strings.NewReader(line), Fields, false)
		_ = parse.StreamRows(dec, func(r *Row) error {
			j, jerr := ToJoinedPacket(r)
			p, err := ToPacket(r)
			if err != nil {
				return nil
			}
			// The shards' conversion takes every row the full one takes,
			// and with the header joined makes the same packet.
			if jerr != nil {
				t.Fatalf("ToJoinedPacket refused a row ToPacket took: %v", jerr)
			}
			j.Join(&Header{Time: p.Time, Src: netip.AddrPortFrom(p.Src, p.SrcPort), Dst: netip.AddrPortFrom(p.Dst, p.DstPort),
				Seq: p.Seq, Ack: p.Ack, Flags: p.Flags})
			if !reflect.DeepEqual(j, p) {
				t.Fatalf("joined %+v, full %+v", j, p)
			}
			if p.Frame <= 0 {
				t.Fatalf("frame %d accepted", p.Frame)
			}
			if len(p.URIs) != len(p.Methods) || len(p.Hosts) != len(p.Methods) || len(p.RequestIn) != len(p.Codes) ||
				len(p.Bodies) != len(p.Methods)+len(p.Codes) {
				t.Fatalf("inconsistent packet %+v", p)
			}
			if p.HasStream && (!p.Src.IsValid() || !p.Dst.IsValid()) {
				t.Fatalf("TCP packet without addresses %+v", p)
			}
			pr := NewPairer(Options{Mode: PairTuple}, func(*exchange.Exchange) error { return nil })
			if err := pr.Add(&p); err != nil {
				t.Fatal(err)
			}
			_, err = pr.Flush()
			return err
		})
	})
}

// TestFastDecoderMatchesGocsv runs both decoders over recorded tshark
// output: every row the same.
func TestFastDecoderMatchesGocsv(t *testing.T) {
	for _, f := range []string{"testdata/synth-loss-reorder.columns.tsv", "testdata/pipelined-v6-port6000.columns.tsv"} {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var a, b []Row
		if err := parse.StreamRows(parse.NewDecoder(strings.NewReader(string(in)), Fields, false), func(r *Row) error { a = append(a, *r); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := parse.Decode(parse.NewDecoder(strings.NewReader(string(in)), Fields, false), func(r *Row) error { b = append(b, *r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) || len(a) < 10 {
			t.Fatalf("%s: %d vs %d rows", f, len(a), len(b))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s row %d differs", f, i)
			}
		}
	}
	// A header that does not fit the row type is refused.
	if err := parse.Decode(parse.NewDecoder(strings.NewReader("x\ty\n"), []string{"x", "y"}, false), func(*Row) error { return nil }); err == nil {
		t.Error("unknown columns accepted")
	}
}
