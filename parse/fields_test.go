package parse

import "testing"

func TestParseTime(t *testing.T) {
	cases := map[string]Time{
		"1258577884.844956000": 1258577884844956000,
		"1258577884.844956":    1258577884844956000,
		"0.000000001":          1,
		"12":                   12e9,
	}
	for in, want := range cases {
		if got, err := ParseTime(in); err != nil || got != want {
			t.Errorf("ParseTime(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", ".5", "1.2.3", "1.1234567890", "1e9", "abc"} {
		if _, err := ParseTime(in); err == nil {
			t.Errorf("ParseTime(%q) accepted", in)
		}
	}
	if s := Time(1258577884844956000).String(); s != "1258577884.844956000" {
		t.Errorf("String = %s", s)
	}
}
