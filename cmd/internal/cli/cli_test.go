package cli

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/tshark"
)

func TestParseIP(t *testing.T) {
	good := map[string]string{"10.0.0.5": "10.0.0.5", " 2001:db8::1 ": "2001:db8::1", "::ffff:10.0.0.5": "10.0.0.5", "::1": "::1"}
	for in, want := range good {
		a, err := ParseIP(in)
		if err != nil || a.String() != want {
			t.Errorf("ParseIP(%q) = %v, %v", in, a, err)
		}
	}
	for _, in := range []string{"", "10.0.0", "10.0.0.256", "example.com", "fe80::1%eth0", "10.0.0.1 || 1", "10.0.0.1/24"} {
		if _, err := ParseIP(in); err == nil {
			t.Errorf("ParseIP(%q) accepted", in)
		}
	}
}

func TestParsePort(t *testing.T) {
	for in, want := range map[string]uint16{"80": 80, "65535": 65535, " 8080": 8080} {
		if p, err := ParsePort(in); err != nil || p != want {
			t.Errorf("ParsePort(%q) = %d, %v", in, p, err)
		}
	}
	for _, in := range []string{"0", "65536", "-1", "http", "80,443", "1e3", ""} {
		if _, err := ParsePort(in); err == nil {
			t.Errorf("ParsePort(%q) accepted", in)
		}
	}
}

func TestParsePercentiles(t *testing.T) {
	ps, err := ParsePercentiles("25, 50,99.9,100")
	if err != nil || len(ps) != 4 || ps[2] != 99.9 {
		t.Errorf("%v %v", ps, err)
	}
	for _, in := range []string{"", ",", "0", "101", "abc", "NaN", "50,-1"} {
		if _, err := ParsePercentiles(in); err == nil {
			t.Errorf("ParsePercentiles(%q) accepted", in)
		}
	}
}

// FuzzServerSelection: whatever a user types, what reaches tshark's
// display filter is either rejected or made only of address and port
// characters.
func FuzzServerSelection(f *testing.F) {
	f.Add("10.0.0.5", "80")
	f.Add("2001:db8::1", "8080")
	f.Add(`10.0.0.1) || (frame`, `80 || 1`)
	f.Fuzz(func(t *testing.T, ip, port string) {
		a, err1 := ParseIP(ip)
		p, err2 := ParsePort(port)
		if err1 != nil || err2 != nil {
			return
		}
		filter := tshark.ServerFilter(a, p)
		rest := strings.NewReplacer("ip.addr==", "", "ipv6.addr==", "", " && tcp.port==", "").Replace(filter)
		for _, r := range rest {
			if !strings.ContainsRune("0123456789abcdefABCDEF.:", r) {
				t.Fatalf("filter %q carries %q", filter, r)
			}
		}
		if _, err := netip.ParseAddr(a.String()); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePercentiles(f *testing.F) {
	f.Add("25,50,75,95,99")
	f.Add("99.9")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePercentiles(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !(p > 0 && p <= 100) {
				t.Fatalf("%q gave %v", s, p)
			}
		}
	})
}
