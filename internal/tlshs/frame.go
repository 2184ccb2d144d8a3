// Package tlshs times TLS handshakes, one per TCP connection, from what
// tshark decodes of each segment's TLS records: the hello round trip
// (ClientHello → first ServerHello) and the handshake (ClientHello →
// server Finished). With a key log tshark decrypts TLS 1.3's encrypted
// handshake and the server's Finished is seen; without keys TLS 1.2's
// Finished is still recognisable (the handshake record after the server's
// cleartext ChangeCipherSpec), and TLS 1.3's is taken as the end of the
// server's first flight, a proxy the result says it used.
//
// It is the TLS part of the tcp slice: the tshark columns (Fields) ride in
// internal/tcpconn's one pass, Parse converts them into a Frame, and a
// Tracker per connection turns its frames into a Handshake.
package tlshs

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Fields are the tshark fields a Frame is made of, in Parse's argument
// order. In custom columns tshark prints their values by name ("Server
// Hello", "TLS 1.3"); Parse also takes numbers.
var Fields = []string{
	"tls.record.content_type", "tls.record.opaque_type", "tls.record.length",
	"tls.handshake.type", "tls.handshake.version", "tls.handshake.extensions.supported_version",
	"tls.handshake.extensions.psk.identity.selected", "tls.alert_message.desc",
	"tls.handshake.extensions_server_name",
}

// TLS record content types and handshake message types (RFC 8446).
const (
	ChangeCipherSpec = 20
	Alert            = 21
	HandshakeRecord  = 22
	ApplicationData  = 23

	ClientHello = 1
	ServerHello = 2
	Finished    = 20
)

// Frame is what one TCP segment carries of TLS, as tshark reports it: the
// records that complete in it (a record over several segments is reported
// on its last).
type Frame struct {
	// Types are the records' content types in order: the cleartext ones'
	// and, when tshark decrypted them, TLS 1.3's inner types. Encrypted is
	// how many records travelled as TLS 1.3 ciphertext (outer type 23),
	// EncLens their lengths (the frame's last record lengths: a TLS 1.3
	// sender's cleartext records come before its encrypted ones).
	Types     []uint8
	Records   int
	Encrypted int
	EncLens   []int
	// Handshake messages, in order (0 for types this package ignores).
	Messages []uint8
	// Version is the hello's legacy version and Supported the
	// supported_versions extension's (a ServerHello's: the one chosen).
	Version, Supported string
	// PSK: a ServerHello chose a pre-shared key (TLS 1.3 resumption).
	PSK    bool
	Alerts []string
	SNI    string
}

// Parse converts the columns of Fields (in that order); nil when the
// segment carries no TLS record.
func Parse(col []string) (*Frame, error) {
	if len(col) != len(Fields) {
		return nil, fmt.Errorf("tls: %d columns, want %d", len(col), len(Fields))
	}
	if col[0] == "" && col[1] == "" {
		return nil, nil
	}
	f := &Frame{Version: parse.LastValue(col[4]), PSK: col[6] != "", SNI: clean(col[8])}
	var err error
	if f.Types, err = codes(col[0], contentTypes); err != nil {
		return nil, fmt.Errorf("tls.record.content_type %q", parse.Excerpt(col[0]))
	}
	if col[1] != "" {
		f.Encrypted = strings.Count(col[1], ",") + 1
	}
	lens, err := ints(col[2])
	if err != nil {
		return nil, fmt.Errorf("tls.record.length %q", parse.Excerpt(col[2]))
	}
	f.Records = len(lens)
	if f.Encrypted > 0 && len(lens) >= f.Encrypted {
		f.EncLens = lens[len(lens)-f.Encrypted:]
	}
	if f.Messages, err = codes(col[3], messageTypes); err != nil {
		return nil, fmt.Errorf("tls.handshake.type %q", parse.Excerpt(col[3]))
	}
	f.Supported = firstValue(col[5])
	if col[7] != "" {
		f.Alerts = strings.Split(col[7], ",")
	}
	return f, nil
}

// decrypted says whether tshark decrypted the frame's TLS 1.3 records: it
// then reports a content type for every record, the inner one for those.
func (f *Frame) decrypted() bool {
	return f.Encrypted > 0 && len(f.Types) >= f.Records
}

var contentTypes = map[string]uint8{
	"Change Cipher Spec": ChangeCipherSpec, "Alert": Alert, "Handshake": HandshakeRecord,
	"Application Data": ApplicationData, "Heartbeat": 24,
}

// messageTypes are the handshake messages whose order matters here; the
// others are kept as 0.
var messageTypes = map[string]uint8{"Client Hello": ClientHello, "Server Hello": ServerHello, "Finished": Finished}

// codes reads a list of names or numbers; a name not in names is 0.
func codes(s string, names map[string]uint8) ([]uint8, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]uint8, len(parts))
	for i, p := range parts {
		if n, err := strconv.ParseUint(p, 10, 8); err == nil {
			out[i] = uint8(n)
			continue
		}
		if p == "" {
			return nil, fmt.Errorf("empty value")
		}
		out[i] = names[p]
	}
	return out, nil
}

func ints(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad length")
		}
		out[i] = n
	}
	return out, nil
}

func firstValue(s string) string {
	v, _, _ := strings.Cut(s, ",")
	return v
}

// clean keeps a server name printable and short: it comes from the
// capture and goes to a terminal.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if len(s) > 255 {
		s = strings.ToValidUTF8(s[:255], "")
	}
	return s
}
