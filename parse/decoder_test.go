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
