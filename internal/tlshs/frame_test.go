package tlshs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/parse"
)

// TestParse: tshark's columns (names, as custom columns print them, or
// numbers, as -T fields does) become a Frame; a segment without TLS is
// nil; a bad list is an error naming the field.
func TestParse(t *testing.T) {
	cases := []struct {
		name string
		col  []string
		want *Frame
		err  string
	}{
		{"no TLS", []string{"", "", "", "", "", "", "", "", ""}, nil, ""},
		{"TLS 1.3 server flight, no keys",
			[]string{"Handshake,Change Cipher Spec", "Application Data,Application Data", "1210,1,27,390", "Server Hello", "TLS 1.2", "TLS 1.3", "0", "", ""},
			&Frame{Types: []uint8{22, 20}, Records: 4, Encrypted: 2, EncLens: []int{27, 390}, Messages: []uint8{2}, Version: "TLS 1.2", Supported: "TLS 1.3", PSK: true}, ""},
		{"decrypted client alert",
			[]string{"20,21", "23", "1,19", "", "", "", "", "Bad Certificate", ""},
			&Frame{Types: []uint8{20, 21}, Records: 2, Encrypted: 1, EncLens: []int{19}, Alerts: []string{"Bad Certificate"}}, ""},
		{"ClientHello with a hostile name",
			[]string{"Handshake", "", "229", "Client Hello", "TLS 1.2", "TLS 1.3,TLS 1.2", "", "", "a\x1b[2Jb.test\n"},
			&Frame{Types: []uint8{22}, Records: 1, Messages: []uint8{1}, Version: "TLS 1.2", Supported: "TLS 1.3", SNI: "a[2Jb.test"}, ""},
		{"unknown names are 0", []string{"Handshake", "", "4", "Certificate Status", "", "", "", "", ""},
			&Frame{Types: []uint8{22}, Records: 1, Messages: []uint8{0}}, ""},
		{"bad content type", []string{"22,,23", "", "", "", "", "", "", "", ""}, nil, "tls.record.content_type"},
		{"bad length", []string{"22", "", "-1", "", "", "", "", "", ""}, nil, "tls.record.length"},
		{"wrong column count", []string{"22"}, nil, "columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.col)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one naming %s", err, c.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v %v, want %+v", got, err, c.want)
			}
		})
	}
}

// TestTrackerEarlyData: a TLS 1.3 client's encrypted records before the
// ServerHello are 0-RTT data, flagged, and do not end the server's
// flight; the client's first encrypted record after it does.
func TestTrackerEarlyData(t *testing.T) {
	tr := NewTracker()
	tr.Add(0, 4, parse.Time(1_000_000), parse.Time(1_000_000), &Frame{Types: []uint8{22}, Records: 2, Encrypted: 1, EncLens: []int{300}, Messages: []uint8{ClientHello}})
	tr.Add(1, 6, parse.Time(3_000_000), parse.Time(3_000_000), &Frame{Types: []uint8{22}, Records: 3, Encrypted: 2, EncLens: []int{500, 500}, Messages: []uint8{ServerHello}, Supported: "TLS 1.3", PSK: true})
	tr.Add(1, 7, parse.Time(4_000_000), parse.Time(3_000_000), &Frame{Records: 1, Encrypted: 1, EncLens: []int{53}})
	tr.Add(0, 9, parse.Time(5_000_000), parse.Time(5_000_000), &Frame{Records: 1, Encrypted: 1, EncLens: []int{53}})
	h := tr.Result()
	if !h.EarlyData || !h.Resumed || !h.HasTime || h.Time != 0.003 || h.End != EndServerFlight || h.EndFrame != 7 || h.HelloRTT != 0.002 {
		t.Errorf("%+v", h)
	}
}
