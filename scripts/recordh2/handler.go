package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// handler answers as the request's plan says. The plan travels in the
// query (or, for gRPC paths, which carry no query, in x-plan) so that a
// capture is self-describing and the server needs no shared state.
func handler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" {
		websocket(w, r)
		return
	}
	q := r.URL.Query()
	if h := r.Header.Get("X-Plan"); h != "" {
		q, _ = url.ParseQuery(h)
	}
	num := func(k string) int { n, _ := strconv.Atoi(q.Get(k)); return n }
	ctx := r.Context()
	if num("push") == 1 {
		if p, ok := w.(http.Pusher); ok {
			p.Push("/pushed"+r.URL.Path+"?s=600", nil)
		}
	}
	if num("eh") == 1 {
		w.Header().Set("Link", "</style.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
	}
	if num("early") == 0 && r.Body != nil {
		io.Copy(io.Discard, r.Body)
	}
	if num("hang") == 1 {
		sleep(ctx, time.Minute)
		return
	}
	if !sleep(ctx, time.Duration(num("d"))*time.Microsecond) {
		return
	}
	if q.Get("rst") == "before" {
		panic(http.ErrAbortHandler) // net/http resets the stream
	}
	respond(w, ctx, q, num)
}

func respond(w http.ResponseWriter, ctx context.Context, q url.Values, num func(string) int) {
	size, status := num("s"), max(num("st"), 200)
	body := strings.Repeat("x", size)
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	if num("bigh") == 1 {
		h.Set("X-Big", bigValue(24000))
	}
	grpc := q.Has("grpc")
	switch {
	case grpc:
		h.Set("Content-Type", "application/grpc")
		if num("to") == 1 { // trailers-only: one HEADERS with END_STREAM
			h.Set("Grpc-Status", q.Get("grpc"))
			h.Set("Grpc-Message", "trailers only")
			w.WriteHeader(status)
			return
		}
		h.Set("Trailer", "Grpc-Status, Grpc-Message")
		body = grpcMessage(size)
	case num("tr") == 1:
		h.Set("Trailer", "X-Checksum")
	default:
		h.Set("Content-Length", strconv.Itoa(size))
	}
	w.WriteHeader(status)
	http.NewResponseController(w).Flush()
	if pause := time.Duration(num("p")) * time.Microsecond; pause > 0 {
		io.WriteString(w, body[:len(body)/2])
		http.NewResponseController(w).Flush()
		if !sleep(ctx, pause) {
			return
		}
		if q.Get("rst") == "mid" {
			panic(http.ErrAbortHandler)
		}
		body = body[len(body)/2:]
	}
	io.WriteString(w, body)
	switch {
	case grpc:
		h.Set("Grpc-Status", q.Get("grpc"))
		h.Set("Grpc-Message", "")
	case num("tr") == 1:
		h.Set("X-Checksum", strconv.Itoa(size))
	}
}

// sleep waits d unless the client goes away first (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// grpcMessage is one length-prefixed, uncompressed gRPC message of n
// bytes (not valid protobuf: tshark must not need it to be).
func grpcMessage(n int) string {
	b := make([]byte, 5, 5+n)
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	return string(append(b, strings.Repeat("g", n)...))
}

// bigValue is a header value that stays longer than one 16 KB frame after
// HPACK's Huffman coding, so the server needs CONTINUATION frames.
func bigValue(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz{}|~"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[(i*7+i/13)%len(alphabet)]
	}
	return string(b)
}

// websocket accepts the upgrade, echoes one message and closes: enough
// for a 101 that is the answer itself, not an interim response.
func websocket(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "upgrade required", http.StatusUpgradeRequired)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	io.WriteString(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	rw.Flush()
	for {
		op, msg, err := readWSFrame(rw.Reader)
		if err != nil {
			return
		}
		rw.Write(wsFrame(op, msg, nil))
		rw.Flush()
		if op == 8 { // close answered with close
			return
		}
	}
}

// wsFrame builds a final frame of opcode op; a client's frames are masked.
func wsFrame(op byte, msg []byte, mask []byte) []byte {
	b := []byte{0x80 | op, byte(len(msg))} // messages here stay under 126 bytes
	if mask == nil {
		return append(b, msg...)
	}
	b[1] |= 0x80
	b = append(b, mask...)
	for i, c := range msg {
		b = append(b, c^mask[i%4])
	}
	return b
}

func readWSFrame(br *bufio.Reader) (op byte, msg []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1] & 0x7f)
	var mask []byte
	if h[1]&0x80 != 0 {
		mask = make([]byte, 4)
		if _, err := io.ReadFull(br, mask); err != nil {
			return 0, nil, err
		}
	}
	msg = make([]byte, n)
	if _, err := io.ReadFull(br, msg); err != nil {
		return 0, nil, err
	}
	for i := range msg {
		if mask != nil {
			msg[i] ^= mask[i%4]
		}
	}
	return h[0] & 0x0f, msg, nil
}
