package parse

import (
	"errors"
	"strings"
	"testing"
)

// shapeRow is a row type of three columns, for the decoder's own checks.
type shapeRow struct {
	A string `csv:"a"`
	B string `csv:"b"`
	C string `csv:"c"`
}

var shapeColumns = []string{"a", "b", "c"}

func TestDecoderChecksShape(t *testing.T) {
	dec := NewDecoder(strings.NewReader("1\t2\n"), shapeColumns, false)
	err := StreamRows(dec, func(*shapeRow) error { return nil })
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 1 {
		t.Errorf("short row: %v", err)
	}
	dec = NewDecoder(strings.NewReader("a\tsomething\n"), shapeColumns, true)
	if err := StreamRows(dec, func(*shapeRow) error { return nil }); !errors.As(err, &fe) {
		t.Errorf("bad header: %v", err)
	}
	dec = NewDecoder(strings.NewReader(""), shapeColumns, true)
	if err := StreamRows(dec, func(*shapeRow) error { return nil }); !errors.As(err, &fe) {
		t.Errorf("no header: %v", err)
	}
	// A callback error stops the stream and is returned.
	line := strings.Repeat("\t", len(shapeColumns)-1) + "\n"
	dec = NewDecoder(strings.NewReader(strings.Repeat(line, 1000)), shapeColumns, false)
	n := 0
	stop := errors.New("stop")
	if err := StreamRows(dec, func(*shapeRow) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("stop: %v after %d rows", err, n)
	}
}

// TestDecoderOneColumnEmpty: with one column an empty line is a row whose
// value is empty; with more it is blank space.
func TestDecoderOneColumnEmpty(t *testing.T) {
	for _, c := range []struct {
		header []string
		in     string
		want   int
	}{
		{[]string{"a"}, "a\nx\n\n\ny\n", 4},
		{[]string{"a"}, "\na\n\n", 1},
		{shapeColumns, "a\tb\tc\n\n1\t2\t3\n\n", 1},
	} {
		dec := NewDecoder(strings.NewReader(c.in), c.header, true)
		n := 0
		for {
			if _, err := dec.GetCSVRow(); err != nil {
				break
			}
			n++
		}
		if n-1 != c.want { // the header is the first row read
			t.Errorf("%q: %d rows, want %d", c.in, n-1, c.want)
		}
	}
}
