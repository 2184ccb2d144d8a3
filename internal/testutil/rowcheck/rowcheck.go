// Package rowcheck is what every analysis' row fuzz target shares: one
// tab-separated line decoded into the analysis' row type by parse.Decode,
// the decoder pcapmeter runs, and by parse.StreamRows, the gocsv
// reference it must agree with. It lives apart from testutil because it
// imports parse, whose own tests use testutil.
package rowcheck

import (
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Decoders decodes line as rows of R (columns in tshark's order) with both
// decoders, fails t when they disagree on an error or on any row, and
// returns the rows for the caller's conversion checks.
func Decoders[R comparable](t testing.TB, line string, columns []string) []R {
	t.Helper()
	var ref, fast []R
	errRef := parse.StreamRows(parse.NewDecoder(strings.NewReader(line), columns, false), func(r *R) error { ref = append(ref, *r); return nil })
	errFast := parse.Decode(parse.NewDecoder(strings.NewReader(line), columns, false), func(r *R) error { fast = append(fast, *r); return nil })
	if (errRef == nil) != (errFast == nil) || len(ref) != len(fast) {
		t.Fatalf("decoders disagree: gocsv %v (%d rows), Decode %v (%d rows)", errRef, len(ref), errFast, len(fast))
	}
	for i := range ref {
		if ref[i] != fast[i] {
			t.Fatalf("row %d differs:\ngocsv  %+v\nDecode %+v", i, ref[i], fast[i])
		}
	}
	return fast
}

// Fuzz is an analysis' row fuzz target: from the seed lines on, every line
// must decode the same with both decoders, and check, which converts a row
// and fails t when the result does not hold together, must not panic.
func Fuzz[R comparable](f *testing.F, columns []string, seeds []string, check func(t *testing.T, r *R)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, r := range Decoders[R](t, line, columns) {
			check(t, &r)
		}
	})
}
