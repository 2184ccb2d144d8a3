package report

import "testing"

func TestUnits(t *testing.T) {
	cases := []struct {
		unit    string
		typical float64
		v       float64
		want    string
	}{
		{UnitAuto, 38e-6, 38e-6, "38.0µs"},
		{UnitAuto, 0.012, 0.0123456, "12.346ms"},
		{UnitAuto, 2.5, 2.5, "2.50000s"},
		{UnitS, 38e-6, 38e-6, "0.00004s"},
		{UnitUS, 2.5, 0.0015, "1500.0µs"},
	}
	for _, c := range cases {
		if got := dur(c.v, pickUnit(c.unit, c.typical)); got != c.want {
			t.Errorf("%s %g: %q, want %q", c.unit, c.v, got, c.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable("/a\x1b[2J\nb", 80); got != "/a?[2J?b" {
		t.Errorf("control characters kept: %q", got)
	}
	if got := Printable("/abcdef", 4); got != "/ab…" {
		t.Errorf("not shortened: %q", got)
	}
}
