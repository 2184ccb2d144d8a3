package tlshs

import (
	"slices"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Where a handshake's end was seen (Handshake.End).
const (
	// EndServerFinished: the server's Finished itself (decrypted, or in
	// TLS 1.2 the handshake record after the server's ChangeCipherSpec).
	EndServerFinished = "server_finished"
	// EndServerFlight: TLS 1.3 without keys, the last server segment with
	// TLS records before the client's first encrypted record (its
	// Finished); the server's Finished ends that flight.
	EndServerFlight = "server_flight_end"
)

// Why a handshake has no time (Handshake.Incomplete).
const (
	NoClientHello    = "no_client_hello"    // TLS records, but the capture starts after the ClientHello
	NoServerHello    = "no_server_hello"    // the ClientHello was not answered
	NoServerFinished = "no_server_finished" // ServerHello, but no server Finished
	NoClientFinished = "no_client_finished" // the client never confirmed the server's Finished
	AlertByServer    = "alert_by_server"    // an alert before the handshake completed
	AlertByClient    = "alert_by_client"
)

// encryptedAlertLen is the length of a TLS 1.3 alert record: 2 bytes of
// alert, 1 of inner content type, 16 of AEAD tag (every TLS 1.3 cipher
// suite's). A client's Finished is at least 53.
const encryptedAlertLen = 19

// Handshake is one connection's TLS handshake. Times are seconds, from
// the first segment of the ClientHello (the client's first data since the
// server last sent any: its ClientHello starts there even when it spans
// segments) to the first segment of the server's answer (ServerHello),
// or to the segment completing the server's Finished, the one tshark
// reports it on. Frames are the capture's.
type Handshake struct {
	// Version is the one the ServerHello chose ("TLS 1.3", "TLS 1.2", …),
	// "" without a ServerHello. SNI is the ClientHello's server name.
	Version          string `json:"version"`
	SNI              string `json:"sni"`
	ClientHelloFrame int64  `json:"client_hello_frame"`
	// Resumed: a TLS 1.3 pre-shared key, or a TLS 1.2 abbreviated
	// handshake (the server's ChangeCipherSpec before the client's).
	Resumed bool `json:"resumed"`
	// HelloRetry: the first ServerHello was a HelloRetryRequest (the
	// server sent two).
	HelloRetry bool `json:"hello_retry"`
	// EarlyData: the client sent encrypted records before the ServerHello
	// (TLS 1.3 0-RTT).
	EarlyData bool `json:"early_data"`
	// Decrypted: a key log decrypted the handshake.
	Decrypted bool `json:"decrypted"`
	// HelloRTT runs from the first ClientHello to the first ServerHello
	// (a HelloRetryRequest included), first segment to first segment.
	HasHelloRTT bool    `json:"-"`
	HelloRTT    float64 `json:"hello_rtt"`
	// Time runs from the first ClientHello to the server's Finished (End
	// says how that was seen, EndFrame where), for a handshake that
	// completed (Incomplete is "").
	HasTime    bool    `json:"-"`
	Time       float64 `json:"handshake_time"`
	End        string  `json:"handshake_end"`
	EndFrame   int64   `json:"handshake_end_frame"`
	Incomplete string  `json:"incomplete"`
	// Alert is the alert that ended an incomplete handshake, as tshark
	// names it, or "encrypted" when it could not be read.
	Alert string `json:"alert"`
}

type mark struct {
	frame int64
	t     parse.Time
	ok    bool
}

func (m *mark) set(frame int64, t parse.Time) { *m = mark{frame, t, true} }

// Tracker follows one connection's TLS frames, in capture order.
type Tracker struct {
	sawTLS   bool
	client   int // direction of the ClientHello's sender; -1 before it
	h        Handshake
	hello    mark // first ClientHello
	first    mark // first ServerHello
	hellos   int
	tls13    bool
	flight   mark // TLS 1.3: last server frame with records since the ServerHello
	fin      mark // server Finished (or the flight's end)
	finFrom  string
	srvCCS   bool // TLS 1.2 ChangeCipherSpecs
	cliCCS   bool
	cliDone  bool // the client confirmed: its ChangeCipherSpec (1.2), Finished or first encrypted record (1.3)
	finished bool // complete, or failed: later frames change nothing
}

// NewTracker returns a tracker for a connection not yet seen.
func NewTracker() *Tracker { return &Tracker{client: -1} }

// Client is the direction (as given to Add) of the ClientHello's sender,
// -1 when none was seen.
func (t *Tracker) Client() int { return t.client }

// Add takes the TLS frame f sent in direction dir (0 or 1) at tm;
// runStart is when the run of data segments that f ends began, that
// direction's first data segment since the other direction last sent
// data: where a ClientHello, or the server's answer to it, starts.
func (t *Tracker) Add(dir int, frame int64, tm, runStart parse.Time, f *Frame) {
	t.sawTLS = true
	if t.finished {
		return
	}
	if t.client < 0 {
		if !slices.Contains(f.Messages, ClientHello) {
			return
		}
		t.client, t.h.SNI, t.h.ClientHelloFrame = dir, f.SNI, frame
		t.hello.set(frame, runStart)
	}
	if slices.Contains(f.Types, Alert) {
		t.fail(dir, f.Alerts)
		return
	}
	if dir == t.client {
		t.fromClient(frame, f)
	} else {
		t.fromServer(frame, tm, runStart, f)
	}
	t.finished = t.fin.ok && t.cliDone
}

func (t *Tracker) fail(dir int, alerts []string) {
	t.h.Incomplete, t.h.Alert = AlertByServer, "encrypted"
	if dir == t.client {
		t.h.Incomplete = AlertByClient
	}
	if len(alerts) > 0 {
		t.h.Alert = alerts[0]
	}
	t.finished = true
}

func (t *Tracker) fromServer(frame int64, tm, runStart parse.Time, f *Frame) {
	if slices.Contains(f.Messages, ServerHello) {
		t.hellos++
		if t.hellos == 1 {
			t.first.set(frame, runStart)
		}
		t.h.Version = versionName(f.Supported, f.Version)
		t.tls13 = strings.HasPrefix(t.h.Version, "TLS 1.3")
		t.h.HelloRetry = t.tls13 && t.hellos > 1
		t.h.Resumed = t.h.Resumed || f.PSK
		t.flight = mark{}
	}
	if t.hellos == 0 {
		return
	}
	if slices.Contains(f.Messages, Finished) {
		t.h.Decrypted = true
		t.fin.set(frame, tm)
		t.finFrom = EndServerFinished
		return
	}
	if t.tls13 {
		if !t.cliDone {
			t.flight.set(frame, tm)
		}
		return
	}
	// TLS 1.2 and older: the one handshake record after the server's
	// ChangeCipherSpec is its (encrypted) Finished.
	for _, r := range f.Types {
		switch {
		case r == ChangeCipherSpec:
			t.srvCCS = true
			t.h.Resumed = !t.cliCCS
		case r == HandshakeRecord && t.srvCCS && !t.fin.ok:
			t.fin.set(frame, tm)
			t.finFrom = EndServerFinished
		}
	}
}

func (t *Tracker) fromClient(frame int64, f *Frame) {
	if t.hellos == 0 {
		t.h.EarlyData = t.h.EarlyData || f.Encrypted > 0
		return
	}
	if !t.tls13 {
		t.cliCCS = t.cliCCS || slices.Contains(f.Types, ChangeCipherSpec)
		t.cliDone = t.cliCCS
		return
	}
	if f.Encrypted == 0 {
		return
	}
	if f.decrypted() {
		t.cliDone = t.cliDone || slices.Contains(f.Messages, Finished)
		return
	}
	// Without keys the client's first encrypted record is its Finished,
	// sent once the server's flight (ending with the server's Finished)
	// was in; a lone record of an alert's size is the client refusing it.
	if f.Encrypted == 1 && len(f.EncLens) == 1 && f.EncLens[0] == encryptedAlertLen {
		t.fail(t.client, []string{"encrypted, inferred from its 19-byte record"})
		return
	}
	t.cliDone = true
	if !t.fin.ok && t.flight.ok {
		t.fin, t.finFrom = t.flight, EndServerFlight
	}
}

// Result is the connection's handshake, nil when it carried no TLS.
func (t *Tracker) Result() *Handshake {
	if t == nil || !t.sawTLS {
		return nil
	}
	h := t.h
	if t.client < 0 {
		h.Incomplete = NoClientHello
		return &h
	}
	if t.first.ok {
		h.HasHelloRTT, h.HelloRTT = true, t.first.t.Sub(t.hello.t)
	}
	switch {
	case h.Incomplete != "":
	case t.hellos == 0:
		h.Incomplete = NoServerHello
	case !t.fin.ok:
		h.Incomplete = NoServerFinished
	case !t.cliDone:
		h.Incomplete = NoClientFinished
	default:
		h.HasTime, h.Time = true, t.fin.t.Sub(t.hello.t)
		h.End, h.EndFrame = t.finFrom, t.fin.frame
	}
	return &h
}

// versionName names a ServerHello's version: the supported_versions
// extension's when present (TLS 1.3), else the legacy field's; tshark
// prints names in columns and numbers in fields.
func versionName(supported, legacy string) string {
	v := supported
	if v == "" {
		v = legacy
	}
	switch v {
	case "0x0304":
		return "TLS 1.3"
	case "0x0303":
		return "TLS 1.2"
	case "0x0302":
		return "TLS 1.1"
	case "0x0301":
		return "TLS 1.0"
	case "0x0300":
		return "SSL 3.0"
	}
	return v
}
