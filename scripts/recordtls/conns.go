package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"time"
)

const serverName = "pcapmeter.test"

// tlsCase is one connection's client configuration.
type tlsCase struct {
	name     string
	plain    bool
	min, max uint16
	curves   []tls.CurveID
	cache    string // session cache shared by the cases naming it
	distrust bool   // the client does not trust the server's certificate
	fail     bool   // the handshake is to fail
}

// hrrCurves are the hello-retry client's groups, in Go's fixed order.
var hrrCurves = []tls.CurveID{tls.X25519, tls.CurveP256}

var cases = []tlsCase{
	{name: "tls13-full", cache: "13"},
	{name: "tls12-full", max: tls.VersionTLS12, cache: "12"},
	{name: "tls12-resumed", max: tls.VersionTLS12, cache: "12"},
	{name: "tls13-resumed", cache: "13"},
	{name: "tls13-hello-retry", curves: hrrCurves},
	{name: "server-refuses-hello", min: tls.VersionTLS10, max: tls.VersionTLS11, fail: true},
	{name: "client-refuses-certificate", distrust: true, fail: true},
	{name: "cleartext", plain: true},
}

// tlsConn dials, shakes hands as c says, and exchanges one line.
func tlsConn(ct *ConnTruth, c tlsCase, addr string, pool *x509.CertPool, kl io.Writer, caches map[string]tls.ClientSessionCache) error {
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer raw.Close()
	ct.ClientPort = raw.LocalAddr().(*net.TCPAddr).Port
	cfg := &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: c.min, MaxVersion: c.max,
		CurvePreferences: c.curves, KeyLogWriter: kl}
	if c.distrust {
		cfg.RootCAs = x509.NewCertPool()
	}
	if c.cache != "" {
		if caches[c.cache] == nil {
			caches[c.cache] = tls.NewLRUClientSessionCache(4)
		}
		cfg.ClientSessionCache = caches[c.cache]
	}
	rw := &timedWrites{Conn: raw}
	tc := tls.Client(rw, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	err = tc.Handshake()
	if ws := rw.done(); len(ws) > 0 {
		ct.ClientHelloNS = ws[0].NS
	}
	if err != nil {
		if !c.fail {
			return err
		}
		ct.ClientError = err.Error()
		time.Sleep(20 * time.Millisecond) // the alert reaches the server before the close
		return nil
	}
	if c.fail {
		return errors.New("the handshake was to fail")
	}
	ct.HandshakeDoneNS = time.Now().UnixNano()
	cs := tc.ConnectionState()
	ct.Version, ct.Resumed = tls.VersionName(cs.Version), cs.DidResume
	// Reading the answer also takes in TLS 1.3's session tickets, which
	// the next connection of the same cache resumes with.
	if _, err := tc.Write([]byte("ping\n")); err != nil {
		return err
	}
	if _, err := bufio.NewReader(tc).ReadString('\n'); err != nil {
		return err
	}
	return tc.Close()
}

// plainConn exchanges one line in cleartext.
func plainConn(addr string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return 0, err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return c.LocalAddr().(*net.TCPAddr).Port, err
}

func serveEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
				c.Write([]byte(line))
			}
		}()
	}
}

// server is the TLS echo server; it keeps every connection's handshake
// writes by the client's port.
type server struct {
	cfg   *tls.Config
	mu    sync.Mutex
	conns map[int]*serverConn
}

type serverConn struct {
	done   chan struct{}
	writes []write
	err    error
}

func (s *server) serve(ln net.Listener) {
	for {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		sc := &serverConn{done: make(chan struct{})}
		s.mu.Lock()
		s.conns[raw.RemoteAddr().(*net.TCPAddr).Port] = sc
		s.mu.Unlock()
		go sc.run(raw, s.cfg)
	}
}

func (sc *serverConn) run(raw net.Conn, cfg *tls.Config) {
	defer close(sc.done)
	defer raw.Close()
	rw := &timedWrites{Conn: raw, piece: piece}
	tc := tls.Server(rw, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	sc.err = tc.Handshake()
	sc.writes = rw.done()
	if sc.err != nil {
		return
	}
	if line, err := bufio.NewReader(tc).ReadString('\n'); err == nil {
		tc.Write([]byte(line))
	}
	tc.Close()
}

// truth fills in the server's side of ct.
func (s *server) truth(ct *ConnTruth) error {
	s.mu.Lock()
	sc := s.conns[ct.ClientPort]
	s.mu.Unlock()
	if sc == nil {
		return errors.New("the server saw no connection")
	}
	<-sc.done
	if sc.err != nil {
		ct.ServerError = sc.err.Error()
	}
	ct.ServerWrites = sc.writes
	for i, w := range sc.writes {
		if i == 0 {
			ct.ServerHelloNS, ct.HelloRetry = w.NS, w.HRR
		}
		if ns, ok := finishedAt(w, ct); ok && ct.ServerFinishedNS == 0 {
			ct.ServerFinishedNS, ct.ServerFlightEndNS = ns, w.PieceNS[len(w.PieceNS)-1]
		}
	}
	if sc.err != nil && len(sc.writes) > 0 && sc.writes[0].Records[0] == recAlert {
		ct.ServerHelloNS = 0 // the server's only write is its alert
	}
	return nil
}

// finishedAt is when the piece of w that ends the server's Finished was
// written, if w holds it: in TLS 1.2 the record after its
// ChangeCipherSpec; in TLS 1.3 the Go server writes its flight at once,
// EncryptedExtensions, Certificate, CertificateVerify, Finished (when
// resuming: EncryptedExtensions, Finished), then its session ticket.
func finishedAt(w write, ct *ConnTruth) (int64, bool) {
	idx := -1
	if ct.Version == "TLS 1.2" {
		if i := slices.Index(w.Records, recCCS); i >= 0 && i+1 < len(w.Records) {
			idx = i + 1
		}
	} else {
		nth := 4
		if ct.Resumed {
			nth = 2
		}
		for i, r := range w.Records {
			if r == recAppData {
				if nth--; nth == 0 {
					idx = i
					break
				}
			}
		}
	}
	if idx < 0 {
		return 0, false
	}
	return w.pieceEnding(idx), true
}

// pieceEnding is when the piece of w holding the last byte of its record
// i was written: the segment that completes the record, the one tshark
// reports it on.
func (w write) pieceEnding(i int) int64 {
	for p, e := range w.PieceEnds {
		if e >= w.RecordEnds[i] {
			return w.PieceNS[p]
		}
	}
	return w.PieceNS[len(w.PieceNS)-1]
}

// TLS record content types.
const (
	recCCS     = 20
	recAlert   = 21
	recAppData = 23
)

// hrrRandom is the ServerHello random of a HelloRetryRequest (RFC 8446
// 4.1.3: SHA-256 of "HelloRetryRequest").
var hrrRandom = []byte{0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c}

// piece and piecePause are how the server writes its handshake: in pieces
// of at most piece bytes, piecePause apart, so that its flights span
// several segments as on a real network (loopback carries 64 kB in one)
// and its ServerHello and Finished reach the capture at different times.
const (
	piece      = 700
	piecePause = 200 * time.Microsecond
)

// timedWrites notes every Write until done: the times of its pieces and
// the outer types of the records in it (a Go TLS stack writes whole
// records). With piece > 0 a Write goes out in pieces.
type timedWrites struct {
	net.Conn
	piece  int
	mu     sync.Mutex
	writes []write
	over   bool
}

func (t *timedWrites) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.over {
		return t.Conn.Write(b)
	}
	w := records(b)
	size := t.piece
	if size == 0 {
		size = len(b)
	}
	for off := 0; off < len(b); {
		end := min(len(b), off+size)
		if off > 0 {
			time.Sleep(piecePause)
		}
		w.PieceNS, w.PieceEnds = append(w.PieceNS, time.Now().UnixNano()), append(w.PieceEnds, end)
		if _, err := t.Conn.Write(b[off:end]); err != nil {
			return off, err
		}
		off = end
	}
	if len(w.PieceNS) > 0 {
		w.NS = w.PieceNS[0]
	}
	t.writes = append(t.writes, w)
	return len(b), nil
}

// records reads the record headers of one write.
func records(b []byte) write {
	var w write
	off := 0
	for p := b; len(p) >= 5; {
		n := 5 + (int(p[3])<<8 | int(p[4]))
		w.Records = append(w.Records, int(p[0]))
		off += n
		w.RecordEnds = append(w.RecordEnds, off)
		// A ServerHello: type 22, handshake type 2, random after the
		// 4-byte handshake header and the 2-byte version.
		if p[0] == 22 && len(p) >= 5+38 && p[5] == 2 && string(p[11:43]) == string(hrrRandom) {
			w.HRR = true
		}
		if n > len(p) {
			break
		}
		p = p[n:]
	}
	return w
}

func (t *timedWrites) done() []write {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.over = true
	return t.writes
}

// selfSigned makes a throwaway certificate for serverName; the clients
// trust exactly it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: serverName}, DNSNames: []string{serverName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}
