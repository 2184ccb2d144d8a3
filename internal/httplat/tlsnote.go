package httplat

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/http2"
)

// TLSConn is one TLS connection that no key decrypted, with the file it is
// in (its frame numbers are that file's).
type TLSConn struct {
	File string `json:"file,omitempty"`
	http2.TLSConn
}

// maxNamedTLS bounds the connections a result lists by name: enough to
// check a key log against, not a second copy of a large capture's
// connection table (the counts stay exact).
const maxNamedTLS = 50

// namedInText is how many of them a warning spells out.
const namedInText = 5

// KeyLogHowTo says how to record a key log with the traffic.
const KeyLogHowTo = "record the TLS key log with the traffic (SSLKEYLOGFILE=keys.log for curl, Firefox and Chrome; tls.Config.KeyLogWriter in Go) and pass --keylog keys.log"

// addUndecrypted keeps file's undecrypted connections, up to maxNamedTLS.
func (t *TLSSummary) addUndecrypted(file string, cs []http2.TLSConn) {
	for _, c := range cs {
		if len(t.NotDecrypted) >= maxNamedTLS {
			return
		}
		t.NotDecrypted = append(t.NotDecrypted, TLSConn{File: file, TLSConn: c})
	}
}

// UndecryptedNames names the first undecrypted connections as
// "client → server (sni, frame N)", and how many more there are.
func (t *TLSSummary) UndecryptedNames() string {
	return firstNames(len(t.NotDecrypted), t.Connections-t.Decrypted, func(i int) string {
		c := t.NotDecrypted[i]
		if c.SNI != "" {
			return fmt.Sprintf("%s → %s (%s, ClientHello in frame %d)", c.Client, c.Server, c.SNI, c.Frame)
		}
		return fmt.Sprintf("%s → %s (ClientHello in frame %d)", c.Client, c.Server, c.Frame)
	})
}

// firstNames joins the names of the first namedInText of the kept
// connections (name(i) for i < kept) and says how many more of total
// there are: the warnings name a few and count the rest, kept or not.
func firstNames(kept, total int, name func(i int) string) string {
	var b strings.Builder
	shown := min(kept, namedInText)
	for i := range shown {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name(i))
	}
	if more := total - shown; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	return b.String()
}

// undecryptedWarning is the warning for a result that measured something
// while some TLS connections stayed encrypted.
func (t *TLSSummary) undecryptedWarning() string {
	n := t.Connections - t.Decrypted
	why := "no --keylog was given (" + KeyLogHowTo + ")"
	if t.KeyLog {
		why = "the key log holds no keys for them (keys of other TLS sessions: another capture, or another client's log?)"
	}
	return fmt.Sprintf("%d of %d TLS connections were not decrypted: %s; %s; their exchanges are not measured",
		n, t.Connections, t.UndecryptedNames(), why)
}

// TLSBlind is a decrypted connection that stopped decrypting, with the
// file it is in.
type TLSBlind struct {
	File string `json:"file,omitempty"`
	http2.BlindTLS
}

// addBlind keeps file's connections that stopped decrypting, up to
// maxNamedTLS, in frame order within the file.
func (t *TLSSummary) addBlind(file string, bs []http2.BlindTLS) {
	bs = slices.Clone(bs)
	slices.SortFunc(bs, func(a, b http2.BlindTLS) int { return cmp.Compare(a.From, b.From) })
	for _, b := range bs {
		t.StoppedConnections++
		t.UnreadSegments += b.Segments
		if len(t.StoppedDecrypting) < maxNamedTLS {
			t.StoppedDecrypting = append(t.StoppedDecrypting, TLSBlind{File: file, BlindTLS: b})
		}
	}
}

// blindWarning says that exchanges after a capture gap on decrypted
// connections are missing from the report, and where.
func (t *TLSSummary) blindWarning() string {
	names := firstNames(len(t.StoppedDecrypting), t.StoppedConnections, func(i int) string {
		c := t.StoppedDecrypting[i]
		return fmt.Sprintf("%s → %s from frame %d", c.Client, c.Server, c.From)
	})
	return fmt.Sprintf("%d decrypted TLS connection(s) stopped decrypting: %s; a segment the capture lacks breaks TLS decryption for the rest of its direction of the connection, so what the %d segments tshark could not read carried is missing: requests sent in them are in no figure, requests answered in them count as unanswered",
		t.StoppedConnections, names, t.UnreadSegments)
}
