package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/pcapmeter/pcapmeter/scripts/internal/dumpcap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

// clientConn is one client connection and everything its client saw.
type clientConn struct {
	idx     int
	plan    connPlan
	conn    net.Conn
	port    int
	tlsVer  string
	alpn    string
	flights []int64 // the client's handshake writes
	doneNS  int64
	h2      *h2Client
	h1      []*h1Rec
}

// keyLogs are the key log files of one recording, one per suffix.
type keyLogs struct {
	out   string
	mu    sync.Mutex
	files map[string]*lockedWriter
}

type lockedWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Write(b)
}

func (k *keyLogs) writer(suffix string) (io.Writer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if w := k.files[suffix]; w != nil {
		return w, nil
	}
	f, err := os.Create(k.out + "." + suffix)
	if err != nil {
		return nil, err
	}
	k.files[suffix] = &lockedWriter{f: f}
	return k.files[suffix], nil
}

func (k *keyLogs) close() (names []string) {
	for suffix, w := range k.files {
		w.f.Close()
		names = append(names, filepath.Base(k.out+"."+suffix))
	}
	sort.Strings(names)
	return names
}

func newServer(sc scenario) *http.Server {
	srv := &http.Server{Handler: http.HandlerFunc(handler), ErrorLog: log.New(io.Discard, "", 0)}
	var protos http.Protocols
	protos.SetHTTP1(true)
	if sc.h2cUpgrade {
		srv.Handler = h2c.NewHandler(srv.Handler, &http2.Server{})
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	srv.Protocols = &protos
	return srv
}

func record(sc scenario, out string, seed uint64, iface string) (*Truth, error) {
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", sc.listen)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	taps := &connTaps{}
	tl := &tapListener{Listener: ln, taps: taps}
	if sc.tls {
		tl.tls = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	}
	capture, err := dumpcap.Start(iface, "tcp port "+strconv.Itoa(portOf(ln.Addr())), out)
	if err != nil {
		return nil, err
	}
	defer capture.Abort()
	srv := newServer(sc)
	go srv.Serve(tl)
	defer srv.Close()

	// The scenario's own file name goes into the stream of draws so that
	// two scenarios with the same seed do not replay the same delays.
	h := fnv.New64a()
	h.Write([]byte(sc.out))
	plans := sc.plan(rand.New(rand.NewPCG(seed, h.Sum64())))
	kl := &keyLogs{out: out, files: map[string]*lockedWriter{}}
	clients := make([]*clientConn, len(plans))
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for i, p := range plans {
		clients[i] = &clientConn{idx: i, plan: p}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = clients[i].run(ln.Addr().String(), sc.tls, pool, kl)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var hung []*cStream
	for _, c := range clients {
		if c.plan.Hang != nil {
			st, err := c.h2.do(c.plan.Hang)
			if err != nil {
				return nil, err
			}
			hung = append(hung, st)
		}
	}
	time.Sleep(200 * time.Millisecond)
	// Shutdown writes GOAWAY on every HTTP/2 connection still open and
	// waits for open streams; a hung stream stays open past the capture.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	srv.Shutdown(ctx)
	cancel()
	if err := capture.Stop(); err != nil {
		return nil, err
	}
	for _, c := range clients {
		if c.h2 != nil {
			c.h2.close()
		} else if c.conn != nil {
			c.conn.Close()
		}
	}
	t := &Truth{Server: ln.Addr().String(), Seed: seed, TLS: sc.tls, KeyLogs: kl.close(), DecodeAs: sc.decodeAs}
	for _, c := range clients {
		if err := c.truth(t, taps.get(c.port)); err != nil {
			return nil, fmt.Errorf("conn %d: %w", c.idx, err)
		}
	}
	return t, nil
}

// dial connects, with TLS when the scenario has it, timing the handshake.
func (c *clientConn) dial(addr string, useTLS bool, pool *x509.CertPool, kl *keyLogs) error {
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c.conn, c.port = raw, portOf(raw.LocalAddr())
	if !useTLS {
		return nil
	}
	w, err := kl.writer(c.plan.KeyLog)
	if err != nil {
		return err
	}
	protos := []string{"h2", "http/1.1"}
	if c.plan.Kind == "h1" {
		protos = []string{"http/1.1"}
	}
	rw := &rawWrites{Conn: raw}
	tc := tls.Client(rw, &tls.Config{RootCAs: pool, ServerName: serverName, NextProtos: protos,
		MaxVersion: c.plan.TLSMax, KeyLogWriter: w})
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.doneNS = time.Now().UnixNano()
	c.flights = rw.done()
	cs := tc.ConnectionState()
	c.tlsVer, c.alpn, c.conn = tls.VersionName(cs.Version), cs.NegotiatedProtocol, tc
	return nil
}
