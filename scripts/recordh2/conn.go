package main

import (
	"bufio"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// run plays the connection's plan.
func (c *clientConn) run(addr string, useTLS bool, pool *x509.CertPool, kl *keyLogs) error {
	if err := c.dial(addr, useTLS, pool, kl); err != nil {
		return err
	}
	switch c.plan.Kind {
	case "h2":
		scheme := "http"
		if useTLS {
			scheme = "https"
		}
		c.h2 = newH2Client(c.conn, bufio.NewReader(c.conn), scheme)
		if err := c.h2.start(); err != nil {
			return err
		}
		return c.runH2()
	case "h2c-upgrade":
		h2, st, err := upgradeH2C(c.conn, c.plan.Upgrade)
		if err != nil {
			return err
		}
		c.h2 = h2
		select {
		case <-st.done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("upgraded stream 1 did not end")
		}
		return c.runH2()
	case "websocket":
		rec, err := websocketClient(c.conn, c.plan.Bursts[0][0])
		c.h1 = append(c.h1, rec)
		c.conn.Close()
		return err
	}
	h1 := newH1Client(c.conn)
	for i, s := range c.plan.Bursts[0] {
		extra := ""
		if c.plan.Kind == "h1-upgrade-refused" && i == 0 {
			// No HTTP2-Settings: the server must not switch, and answers
			// in HTTP/1.1.
			extra = "Connection: Upgrade\r\nUpgrade: h2c\r\n"
		}
		rec, err := h1.do(s, extra)
		c.h1 = append(c.h1, rec)
		if err != nil {
			return err
		}
	}
	c.conn.Close()
	return nil
}

// runH2 starts each burst's streams together (200 µs apart, in order;
// a coalesced burst in one write) and waits for all of them before the
// next burst.
func (c *clientConn) runH2() error {
	var errs []error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for b, burst := range c.plan.Bursts {
		var wg sync.WaitGroup
		if b == c.plan.Coalesce-1 {
			sts, err := c.h2.openBatch(burst)
			if err != nil {
				return err
			}
			for _, st := range sts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := c.h2.follow(st); err != nil {
						fail(err)
					}
				}()
			}
			wg.Wait()
			continue
		}
		for _, s := range burst {
			wg.Add(1)
			time.Sleep(200 * time.Microsecond)
			go func() {
				defer wg.Done()
				if _, err := c.h2.do(s); err != nil {
					fail(err)
				}
			}()
		}
		wg.Wait()
	}
	if c.plan.ClientGoAway {
		c.h2.sendGoAway()
		time.Sleep(20 * time.Millisecond)
		c.h2.close()
	}
	return errors.Join(errs...)
}

// truth adds the connection and its exchanges, checking that what the
// client received is what the server's tap saw it send.
func (c *clientConn) truth(t *Truth, sc *serverConn) error {
	if sc == nil || sc.tap == nil {
		return errNoTap
	}
	events := sc.tap.Events()
	ct := ConnTruth{Conn: c.idx, ClientPort: c.port, Kind: c.plan.Kind, TLSVersion: c.tlsVer, ALPN: c.alpn,
		ClientFlightsNS: c.flights, ServerFlightsNS: sc.hsWritesNS, HandshakeDoneNS: c.doneNS}
	if c.tlsVer != "" {
		ct.KeyLog = "." + c.plan.KeyLog
	}
	if c.h2 != nil {
		ct.GoAwayClient = c.h2.goaway
		_, ct.GoAwayServer = serverStreams(events)
	}
	t.Connections = append(t.Connections, ct)
	if c.h2 == nil {
		return c.h1Truth(t, events)
	}
	return c.h2Truth(t, events)
}

func (c *clientConn) h1Truth(t *Truth, events []srvEvent) error {
	groups := h1Responses(events)
	if len(groups) != len(c.h1) {
		return fmt.Errorf("%d requests, %d responses written", len(c.h1), len(groups))
	}
	for i, rec := range c.h1 {
		g := groups[i]
		e := ExchTruth{Conn: c.idx, Proto: "http/1.1", Index: i, Authority: serverName, Status: g.status,
			Interim: g.interim, InterimNS: g.interimNS, RequestNS: rec.firstNS, ResponseNS: g.ns, EndNS: g.endNS,
			Trailers: len(rec.trailers) > 0}
		fromSpec(&e, rec.spec)
		if err := checkStatuses(e.Path, rec.statuses, append(append([]int(nil), g.interim...), g.status)); err != nil {
			return err
		}
		e.derive()
		t.Exchanges = append(t.Exchanges, e)
	}
	return nil
}

func (c *clientConn) h2Truth(t *Truth, events []srvEvent) error {
	srv, _ := serverStreams(events)
	for i, id := range c.h2.order {
		st := c.h2.streams[id]
		s := srv[id]
		if s == nil {
			s = &srvStream{}
		}
		e := ExchTruth{Conn: c.idx, Proto: "h2", Stream: id, Index: i, Authority: serverName, Path: st.path,
			Status: s.status, Interim: s.interim, InterimNS: s.interimNS, GRPCStatus: s.grpc, Trailers: s.trailers,
			RequestNS: st.firstNS, ResponseNS: s.respNS, EndNS: s.endNS, Reset: s.rst, RespContinuation: s.frames > 1}
		if st.spec != nil {
			fromSpec(&e, st.spec)
		}
		if p := s.promise; p != nil {
			e.Method, e.PushedBy, e.RequestNS = p.Fields[":method"], p.Stream, p.NS
			if u, err := url.Parse(st.path); err == nil {
				e.RespBytes, _ = strconv.Atoi(u.Query().Get("s"))
			}
		}
		if id == 1 && c.plan.Kind == "h2c-upgrade" {
			if err := c.upgradeTruth(&e, events); err != nil {
				return err
			}
		}
		if st.rstNS != 0 {
			e.Reset = &Reset{By: "client", Code: st.rstCode.String(), Num: uint32(st.rstCode), NS: st.rstNS}
		}
		if e.EndNS == 0 && e.Reset == nil {
			e.Cut = "capture_end"
		}
		seen := append(append([]int(nil), e.Interim...), e.Status)
		if e.Status == 0 {
			seen = seen[:len(seen)-1]
		}
		if err := checkStatuses(fmt.Sprintf("stream %d %s", id, e.Path), st.statuses, seen); err != nil && st.rstNS == 0 {
			return err
		}
		e.derive()
		t.Exchanges = append(t.Exchanges, e)
	}
	return nil
}

// upgradeTruth makes the 101 the upgraded stream's interim answer.
func (c *clientConn) upgradeTruth(e *ExchTruth, events []srvEvent) error {
	g := h1Responses(events)
	if len(g) != 1 || g[0].status != 101 {
		return fmt.Errorf("upgrade: server wrote %d HTTP/1.1 responses", len(g))
	}
	e.Upgraded = true
	e.Interim = append([]int{101}, e.Interim...)
	e.InterimNS = append([]int64{g[0].ns}, e.InterimNS...)
	return nil
}
