package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
)

// h1Rec is the client's record of one HTTP/1.1 exchange.
type h1Rec struct {
	spec     *reqSpec
	firstNS  int64
	statuses []int // interim first
	trailers http.Header
}

// h1Client sends requests one at a time over one connection; it writes
// raw bytes so the truth has the time of the request's first byte.
type h1Client struct {
	conn net.Conn
	br   *bufio.Reader
}

func newH1Client(conn net.Conn) *h1Client {
	return &h1Client{conn: conn, br: bufio.NewReader(conn)}
}

func requestHead(s *reqSpec, extra string) string {
	h := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: recordh2\r\n", s.Method, s.Path, serverName)
	if s.ReqBody > 0 {
		h += "Content-Type: text/plain\r\nContent-Length: " + strconv.Itoa(s.ReqBody) + "\r\n"
	}
	return h + extra + "\r\n"
}

// do writes the request and reads its interim and final responses; a 101
// ends the exchange with the connection switched.
func (c *h1Client) do(s *reqSpec, extra string) (*h1Rec, error) {
	rec := &h1Rec{spec: s}
	msg := requestHead(s, extra) + strings.Repeat("b", s.ReqBody)
	rec.firstNS = time.Now().UnixNano()
	if _, err := io.WriteString(c.conn, msg); err != nil {
		return rec, err
	}
	req, _ := http.NewRequest(s.Method, "http://"+serverName+s.Path, nil)
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			return rec, fmt.Errorf("%s: %w", s.Path, err)
		}
		rec.statuses = append(rec.statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return rec, nil
		}
		if resp.StatusCode >= 200 {
			_, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			rec.trailers = resp.Trailer
			return rec, err
		}
	}
}

// upgradeH2C asks for h2c with an HTTP/1.1 Upgrade (RFC 7540 3.2); after
// the 101 the connection is HTTP/2 and the request is stream 1, whose
// answer comes as HEADERS on stream 1.
func upgradeH2C(conn net.Conn, s *reqSpec) (*h2Client, *cStream, error) {
	h1 := newH1Client(conn)
	settings := frames(func(fr *http2.Framer) { fr.WriteSettings(clientSettings...) })[9:]
	extra := "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " +
		base64.RawURLEncoding.EncodeToString(settings) + "\r\n"
	rec, err := h1.do(s, extra)
	if err != nil {
		return nil, nil, err
	}
	if len(rec.statuses) != 1 || rec.statuses[0] != 101 {
		return nil, nil, fmt.Errorf("upgrade answered %v", rec.statuses)
	}
	c := newH2Client(conn, h1.br, "http")
	st := newStream(1)
	st.spec, st.path, st.firstNS, st.statuses = s, s.Path, rec.firstNS, []int{101}
	c.streams[1], c.order = st, []uint32{1}
	c.nextID = 3
	if err := c.start(); err != nil {
		return nil, nil, err
	}
	return c, st, nil
}

// websocketClient upgrades to WebSocket, sends one message, reads the echo
// and closes: the 101 is this exchange's answer.
func websocketClient(conn net.Conn, s *reqSpec) (*h1Rec, error) {
	h1 := newH1Client(conn)
	extra := "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: cGNhcG1ldGVyLXJlY29yZGgy\r\n"
	rec, err := h1.do(s, extra)
	if err != nil {
		return rec, err
	}
	mask := []byte{1, 2, 3, 4}
	for _, f := range []struct {
		op  byte
		msg string
	}{{1, "hello from recordh2"}, {8, "\x03\xe8"}} {
		time.Sleep(10 * time.Millisecond)
		if _, err := conn.Write(wsFrame(f.op, []byte(f.msg), mask)); err != nil {
			return rec, err
		}
		op, msg, err := readWSFrame(h1.br)
		if err != nil || op != f.op || !bytes.Equal(msg, []byte(f.msg)) {
			return rec, fmt.Errorf("websocket echo: op %d %q %v", op, msg, err)
		}
	}
	return rec, nil
}
