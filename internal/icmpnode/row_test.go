package icmpnode

import (
	"errors"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil/rowcheck"
)

// FuzzRow: any line decodes the same with both decoders, and converts
// either to an error or to an echo that holds together.
func FuzzRow(f *testing.F) {
	seeds := []string{
		"1\t1540909115.658720000\t74\t192.168.200.1\t192.168.100.1\t128\t\t\t\t8\t1\t14\t\t\t\t32",
		"2\t1.5\t70\t192.168.100.1,192.168.100.138\t192.168.100.138,4.2.2.1\t255,1\t\t\t\t11,8\t1280\t14336\t\t\t\t",
		"3\t1.0\t94\t\t\t\t2620::1\t2001::63\t128\t\t\t\tEcho (ping) request\t0x0001\t3\t32",
	}
	rowcheck.Fuzz(f, Fields, seeds, func(t *testing.T, r *Row) {
		if e, err := ToEcho(r); err == nil && (!e.Src.IsValid() || !e.Dst.IsValid() || e.TTL < 0 || e.TTL > 255 || e.Frame <= 0) {
			t.Fatalf("inconsistent echo %+v", e)
		}
	})
}

// TestToEcho: the outer message decides, the IP header just before it
// gives addresses and TTL, and an ICMP error quoting an echo is told apart
// from a bad row.
func TestToEcho(t *testing.T) {
	reply := Row{Frame: "1", Time: "1.5", FrameLen: "74", IPSrc: "10.0.0.1,192.168.0.2", IPDst: "10.0.0.2,192.168.0.1", TTL: "64,63",
		Type: "0", ID: "7", Seq: "9", DataLen: "32"}
	if e, err := ToEcho(&reply); err != nil || e.Request || e.Src.String() != "192.168.0.2" || e.TTL != 63 || e.DataLen != 32 || e.V6 {
		t.Errorf("tunnelled reply: %+v %v", e, err)
	}
	quoted := Row{Frame: "2", Time: "1.6", FrameLen: "70", IPSrc: "192.168.100.1,192.168.100.138", IPDst: "192.168.100.138,4.2.2.1", TTL: "255,1", Type: "11,8"}
	if _, err := ToEcho(&quoted); !errors.Is(err, errNotEcho) {
		t.Errorf("time exceeded quoting a request: %v", err)
	}
	v6 := Row{Frame: "3", Time: "1.0", FrameLen: "94", IPv6Src: "2620::1", IPv6Dst: "2001::63", HopLimit: "128", Type6: "128", ID6: "0x0001", Seq6: "3"}
	if e, err := ToEcho(&v6); err != nil || !e.Request || !e.V6 || e.TTL != 128 || e.ID != "0x0001" {
		t.Errorf("v6 request: %+v %v", e, err)
	}
	for _, c := range []struct {
		field func(*Row)
		msg   string
	}{
		{func(r *Row) { r.Frame = "x" }, `frame.number "x"`},
		{func(r *Row) { r.FrameLen = "-4" }, `frame 3: frame.len "-4"`},
		{func(r *Row) { r.Type6 = "" }, "frame 3: no ICMP type"},
		{func(r *Row) { r.Type6 = "echo,1" }, `frame 3: icmp type "echo,1"`},
		{func(r *Row) { r.HopLimit = "300" }, `frame 3: ttl "300"`},
	} {
		r := v6
		c.field(&r)
		if _, err := ToEcho(&r); err == nil || err.Error() != c.msg {
			t.Errorf("got %v, want %q", err, c.msg)
		}
	}
}
