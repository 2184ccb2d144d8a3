// Command recordtls records TLS handshakes of every kind pcapmeter tcp
// times — TLS 1.3 and 1.2 full, both resumed, a HelloRetryRequest, a
// server refusing the ClientHello, a client refusing the certificate —
// plus one cleartext connection, on loopback under dumpcap, and writes
// the ground truth beside the capture: per connection when the client
// wrote its ClientHello and when the server wrote its first hello and its
// Finished, read from the bytes each side wrote (TLS record headers are
// cleartext; a Go server flushes its TLS 1.3 flight at its Finished, and
// in TLS 1.2 writes its Finished right after its ChangeCipherSpec).
// Clients write their secrets with tls.Config.KeyLogWriter.
//
// Connections run one after another (a resumption needs the ticket of the
// connection before it). The TLS server listens on 127.0.0.1:443, where
// tshark dissects TLS without being told.
//
// Usage:
//
//	go run ./scripts/recordtls [-out testdata/tls/handshakes-v4.pcapng]
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/pcapmeter/pcapmeter/scripts/internal/dumpcap"
)

// Truth is written as JSON beside the capture; *_ns are wall-clock
// nanoseconds since the Unix epoch in the recording process (dumpcap
// stamps packets with the same clock, microseconds after the write).
type Truth struct {
	About       string      `json:"about"`
	Command     string      `json:"command"`
	Server      string      `json:"server"`
	KeyLog      string      `json:"keylog"`
	Connections []ConnTruth `json:"connections"`
}

// ConnTruth is one connection as its two ends saw it.
type ConnTruth struct {
	Conn       int    `json:"conn"`
	ClientPort int    `json:"client_port"`
	Case       string `json:"case"`
	TLS        bool   `json:"tls"`
	Version    string `json:"tls_version,omitempty"` // as negotiated (client's view)
	Resumed    bool   `json:"resumed,omitempty"`
	HelloRetry bool   `json:"hello_retry,omitempty"` // the server's first hello carried the HRR random
	// ClientHelloNS is the client's first write (its ClientHello),
	// ServerHelloNS the server's first (ServerHello or HelloRetryRequest,
	// its first piece); ServerFinishedNS is the piece that ends the
	// server's Finished (0: none sent),
	// ServerFlightEndNS the last piece of the flight holding the Finished
	// (a TLS 1.3 Go server sends its session ticket right after its
	// Finished, in the same flight).
	ClientHelloNS     int64   `json:"client_hello_ns,omitempty"`
	ServerHelloNS     int64   `json:"server_hello_ns,omitempty"`
	ServerFinishedNS  int64   `json:"server_finished_ns,omitempty"`
	ServerFlightEndNS int64   `json:"server_flight_end_ns,omitempty"`
	HandshakeDoneNS   int64   `json:"handshake_done_ns,omitempty"` // the client's Handshake returned
	ClientError       string  `json:"client_error,omitempty"`
	ServerError       string  `json:"server_error,omitempty"`
	ServerWrites      []write `json:"server_writes,omitempty"`
}

// write is one Write of the server during its handshake: when each of
// its pieces went out and where it ends, and the outer content types of
// the records in it and where each ends (byte offsets in the write).
type write struct {
	NS         int64   `json:"ns"`
	PieceNS    []int64 `json:"piece_ns"`
	PieceEnds  []int   `json:"piece_ends"`
	Records    []int   `json:"records"`
	RecordEnds []int   `json:"record_ends"`
	HRR        bool    `json:"hello_retry_request,omitempty"`
}

func main() {
	out := flag.String("out", "testdata/tls/handshakes-v4.pcapng", "capture file to write (pcapng)")
	iface := flag.String("i", "lo", "loopback interface to record")
	flag.Parse()
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	t, err := record(*out, *iface)
	if err != nil {
		log.Fatal(err)
	}
	t.Command = "go run ./scripts/recordtls -out " + *out
	b, _ := json.MarshalIndent(t, "", "  ")
	if err := os.WriteFile(*out+".truth.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s, %s.keylog and %s.truth.json (%d connections)", *out, *out, *out, len(t.Connections))
}

func record(out, iface string) (*Truth, error) {
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	tlsLn, err := net.Listen("tcp", "127.0.0.1:443")
	if err != nil {
		return nil, err
	}
	defer tlsLn.Close()
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer plainLn.Close()
	plainPort := plainLn.Addr().(*net.TCPAddr).Port
	kl, err := os.Create(out + ".keylog")
	if err != nil {
		return nil, err
	}
	defer kl.Close()
	capture, err := dumpcap.Start(iface, "tcp port 443 or tcp port "+strconv.Itoa(plainPort), out)
	if err != nil {
		return nil, err
	}
	defer capture.Abort()
	srv := &server{cfg: serverConfig(cert), conns: map[int]*serverConn{}}
	go srv.serve(tlsLn)
	go serveEcho(plainLn)

	t := &Truth{About: about, Server: tlsLn.Addr().String(), KeyLog: filepath.Base(out + ".keylog")}
	caches := map[string]tls.ClientSessionCache{}
	for i, c := range cases {
		ct := ConnTruth{Conn: i, Case: c.name, TLS: !c.plain}
		if c.plain {
			ct.ClientPort, err = plainConn(plainLn.Addr().String())
		} else {
			err = tlsConn(&ct, c, tlsLn.Addr().String(), pool, kl, caches)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		t.Connections = append(t.Connections, ct)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if err := capture.Stop(); err != nil {
		return nil, err
	}
	for i := range t.Connections {
		ct := &t.Connections[i]
		if !ct.TLS {
			continue
		}
		if err := srv.truth(ct); err != nil {
			return nil, fmt.Errorf("%s: %w", ct.Case, err)
		}
	}
	return t, nil
}

// serverConfig is the server's TLS configuration. A client offering only
// X25519 and P-256 (the hello-retry case; Go sends its key share for
// X25519) is told to use P-256 instead: a HelloRetryRequest.
func serverConfig(cert tls.Certificate) *tls.Config {
	base := &tls.Config{Certificates: []tls.Certificate{cert}}
	retry := &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.CurveP256}}
	base.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if slices.Equal(h.SupportedCurves, hrrCurves) {
			return retry, nil
		}
		return nil, nil
	}
	return base
}

const about = "TLS handshakes one after another on 127.0.0.1:443 (the server writes in 700-byte pieces 200 µs apart, so its flights span segments): TLS 1.3 and 1.2 full, each resumed, " +
	"a HelloRetryRequest, a ClientHello the server refuses (TLS 1.1 only: protocol_version alert), " +
	"a certificate the client refuses (TLS 1.3: its alert is encrypted), then a cleartext TCP connection"
