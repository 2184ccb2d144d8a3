package report

import (
	"bytes"
	"testing"
)

// TestTCPJSONStreamed: a document whose array is written element by
// element (writeStreamed) is byte for byte the document encoded whole,
// with nested objects, arrays, nulls, HTML characters left unescaped, a
// deeper key of the same name, and an empty array.
func TestTCPJSONStreamed(t *testing.T) {
	type inner struct {
		Name  string    `json:"name"`
		List  []float64 `json:"list"`
		Null  *int      `json:"null"`
		Empty []string  `json:"empty"`
	}
	type summary struct {
		Connections int `json:"connections"`
	}
	type doc struct {
		Schema      string  `json:"schema"`
		Connections []inner `json:"connections"`
		Summary     summary `json:"summary"`
	}
	for _, elems := range [][]inner{
		{{Name: "a<b>&c", List: []float64{1.5, 1e21, 0.000001}, Empty: []string{}}, {Name: "second", List: nil}},
		{{Name: "one"}},
		{},
	} {
		var whole, streamed bytes.Buffer
		if err := writeJSON(&whole, doc{Schema: "s", Connections: elems, Summary: summary{len(elems)}}); err != nil {
			t.Fatal(err)
		}
		err := writeStreamed(&streamed, doc{Schema: "s", Connections: []inner{}, Summary: summary{len(elems)}}, "connections", len(elems),
			func(i int) any { return elems[i] })
		if err != nil {
			t.Fatal(err)
		}
		if whole.String() != streamed.String() {
			t.Errorf("streamed:\n%s\nwhole:\n%s", streamed.String(), whole.String())
		}
	}
}

// TestStreamedKeyMissing: a document without the streamed key's empty
// array (a field renamed, an omitempty added) fails instead of writing
// the document without its elements.
func TestStreamedKeyMissing(t *testing.T) {
	var b bytes.Buffer
	doc := struct {
		Other []int `json:"other"`
	}{Other: []int{}}
	if err := writeStreamed(&b, doc, "connections", 2, func(i int) any { return i }); err == nil {
		t.Errorf("no error, wrote %q", b.String())
	}
}
