package parse

import (
	"strings"
	"testing"
)

// fuzzRows decodes a tab-separated line into T with both decoders and
// hands each row to check, which must not panic.
func fuzzRows[T comparable](t *testing.T, line string, columns []string, check func(*T)) {
	var a, b []T
	errA := StreamRows(NewDecoder(strings.NewReader(line), columns, false), func(r *T) error { a = append(a, *r); return nil })
	errB := Decode(NewDecoder(strings.NewReader(line), columns, false), func(r *T) error { b = append(b, *r); return nil })
	if (errA == nil) != (errB == nil) || len(a) != len(b) {
		t.Fatalf("decoders disagree: %v %v", errA, errB)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d differs", i)
		}
		check(&a[i])
	}
}

// FuzzOtherRows covers the ICMP, TCP and summary rows: any line is either
// rejected or gives a consistent typed record.
func FuzzOtherRows(f *testing.F) {
	f.Add("1\t1540909115.658720000\t74\t192.168.200.1\t192.168.100.1\t128\t\t\t\t8\t1\t14\t\t\t\t32")
	f.Add("2\t1.5\t70\t192.168.100.1,192.168.100.138\t192.168.100.138,4.2.2.1\t255,1\t\t\t\t11,8\t1280\t14336\t\t\t\t")
	f.Add("3\t1.0\t94\t\t\t\t2620::1\t2001::63\t128\t\t\t\tEcho (ping) request\t0x0001\t3\t32")
	f.Fuzz(func(t *testing.T, line string) {
		fuzzRows(t, line, ICMPFields, func(r *ICMPRow) {
			e, err := ToEcho(r)
			if err == nil && (!e.Src.IsValid() || !e.Dst.IsValid() || e.TTL < 0 || e.TTL > 255 || e.Frame <= 0) {
				t.Fatalf("inconsistent echo %+v", e)
			}
		})
		fuzzRows(t, line, TCPFields, func(r *TCPRow) {
			s, err := ToSegment(r)
			if err == nil && (!s.Src.IsValid() || s.Stream < 0 || s.Len < 0) {
				t.Fatalf("inconsistent segment %+v", s)
			}
		})
		fuzzRows(t, line, SummaryFields, func(r *SummaryRow) {
			fr, err := ToFrame(r)
			if err == nil && (fr.Len < 0 || fr.Number <= 0 || fr.HTTPRequests < 0) {
				t.Fatalf("inconsistent frame %+v", fr)
			}
		})
	})
}
