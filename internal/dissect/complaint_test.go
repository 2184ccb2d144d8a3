package dissect

import "testing"

// TestComplaint: tshark 4.0's complaints (as it prints them, with the
// banner root gets) come down to the message alone, on one line.
func TestComplaint(t *testing.T) {
	for _, c := range []struct{ stderr, echoed, want string }{
		{"tshark: Unexpected end of filter expression.\n", "tcp.port ==", "Unexpected end of filter expression."},
		{"Running as user \"root\" and group \"root\". This could be dangerous.\ntshark: \"frob\" is neither a field nor a protocol name.\n    frob \n    ^~~~\n", " frob ", `"frob" is neither a field nor a protocol name.`},
		{"tshark: Some fields aren't valid:\n\tno.such.field\n", "", "Some fields aren't valid: no.such.field"},
		{"\n\n", "x", ""},
	} {
		if got := Complaint(c.stderr, c.echoed); got != c.want {
			t.Errorf("%q: %q, want %q", c.stderr, got, c.want)
		}
	}
}
