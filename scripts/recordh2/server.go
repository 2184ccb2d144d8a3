package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"
)

// serverName is the name in the certificate and in every ClientHello's SNI.
const serverName = "pcapmeter.test"

// connTaps finds the server's view of a connection by the client's port.
type connTaps struct {
	mu   sync.Mutex
	taps map[int]*serverConn
}

// serverConn is what the server saw of one connection.
type serverConn struct {
	tap *tap
	// The server's ciphertext writes during the TLS handshake.
	hsWritesNS []int64
}

func (r *connTaps) put(port int, sc *serverConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.taps == nil {
		r.taps = map[int]*serverConn{}
	}
	r.taps[port] = sc
}

func (r *connTaps) get(port int) *serverConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.taps[port]
}

// tapListener hands the HTTP server connections it can watch. With TLS it
// terminates TLS itself (ALPN h2 or http/1.1) and gives net/http the
// plaintext: net/http then speaks HTTP/1.1 or, seeing the client's
// preface, HTTP/2 (Protocols.UnencryptedHTTP2), exactly the frames it
// would write on its own TLS connection, and the tap sees them.
type tapListener struct {
	net.Listener
	tls  *tls.Config // nil: cleartext
	taps *connTaps
}

func (l *tapListener) Accept() (net.Conn, error) {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		port := raw.RemoteAddr().(*net.TCPAddr).Port
		sc := &serverConn{}
		if l.tls == nil {
			sc.tap = newTap(raw, modeSniff)
			l.taps.put(port, sc)
			return sc.tap, nil
		}
		rw := &rawWrites{Conn: raw}
		tc := tls.Server(rw, l.tls)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			raw.Close()
			continue
		}
		tc.SetDeadline(time.Time{})
		sc.hsWritesNS = rw.done()
		mode := modeH1
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			mode = modeH2
		}
		sc.tap = newTap(tc, mode)
		l.taps.put(port, sc)
		return sc.tap, nil
	}
}

// rawWrites times the ciphertext writes of one side until its handshake
// is done: its flights (ClientHello; ServerHello ... Finished; the
// client's Finished).
type rawWrites struct {
	net.Conn
	mu   sync.Mutex
	ns   []int64
	over bool
}

func (r *rawWrites) Write(b []byte) (int, error) {
	r.mu.Lock()
	if !r.over {
		r.ns = append(r.ns, time.Now().UnixNano())
	}
	r.mu.Unlock()
	return r.Conn.Write(b)
}

// done stops the timing and returns the flights' times.
func (r *rawWrites) done() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over = true
	return r.ns
}

// selfSigned makes a throwaway certificate for serverName and the
// loopback addresses; the clients trust exactly it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: serverName},
		DNSNames:     []string{serverName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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

// portOf is the port of a TCP address.
func portOf(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.Port
	}
	_, p, _ := net.SplitHostPort(a.String())
	n, _ := strconv.Atoi(p)
	return n
}

var errNoTap = errors.New("no server record for the connection")
