package main

import (
	"bytes"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// tapMode is what the server is writing on a tapped connection.
type tapMode int

const (
	modeSniff tapMode = iota // first write decides: "HTTP/" is HTTP/1, else HTTP/2
	modeH1
	modeH2
	modeRaw // after a 101 to anything but h2c: not parsed
)

// srvEvent is one thing the server wrote, timed by the Write call that
// carried its first byte (taken just before the bytes went to the kernel).
type srvEvent struct {
	NS       int64
	H1       bool // an HTTP/1 status line (Status set) or other HTTP/1 write
	Type     http2.FrameType
	Flags    http2.Flags
	Stream   uint32
	Status   int               // :status of a HEADERS block, HTTP/1 status code
	Fields   map[string]string // decoded header block (HEADERS, PUSH_PROMISE)
	Frames   int               // HEADERS + CONTINUATION frames of one block
	Promised uint32            // PUSH_PROMISE
	Code     uint32            // RST_STREAM, GOAWAY
	Last     uint32            // GOAWAY last stream id
}

// tap is the server's side of one connection, above TLS: it parses what
// the server writes so the truth knows which frame of which stream left
// when, without trusting the handler's own idea of when it wrote.
type tap struct {
	net.Conn
	mu      sync.Mutex
	mode    tapMode
	pending []byte // bytes of an HTTP/2 frame not yet complete
	pendNS  int64  // time of the write that carried pending's first byte
	dec     *hpack.Decoder
	block   *srvEvent // HEADERS or PUSH_PROMISE waiting for CONTINUATION
	fields  map[string]string
	events  []srvEvent
}

func newTap(c net.Conn, mode tapMode) *tap {
	t := &tap{Conn: c, mode: mode}
	t.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if t.fields != nil {
			t.fields[f.Name] = f.Value
		}
	})
	t.dec.SetMaxStringLength(1 << 20)
	return t
}

// Write sends first and parses after, so that parsing never delays the
// bytes; the time is taken before the send.
func (t *tap) Write(b []byte) (int, error) {
	ns := time.Now().UnixNano()
	n, err := t.Conn.Write(b)
	t.mu.Lock()
	t.feed(b[:n], ns)
	t.mu.Unlock()
	return n, err
}

// Events returns a copy of what the server wrote so far.
func (t *tap) Events() []srvEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]srvEvent(nil), t.events...)
}

func (t *tap) feed(b []byte, ns int64) {
	if t.mode == modeSniff {
		t.mode = modeH2
		if bytes.HasPrefix(b, []byte("HTTP/")) {
			t.mode = modeH1
		}
	}
	switch t.mode {
	case modeH1:
		t.feedH1(b, ns)
	case modeH2:
		t.feedH2(b, ns)
	}
}

// feedH1 notes status lines. The server flushes every interim response
// and every response head on its own, and the clients never pipeline, so
// a write that starts with a status line starts a response.
func (t *tap) feedH1(b []byte, ns int64) {
	ev := srvEvent{NS: ns, H1: true}
	if bytes.HasPrefix(b, []byte("HTTP/1.1 ")) && len(b) >= 12 {
		ev.Status, _ = strconv.Atoi(string(b[9:12]))
	}
	t.events = append(t.events, ev)
	if ev.Status != 101 {
		return
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	head := strings.ToLower(string(b[:max(end, 0)]))
	t.mode = modeRaw
	if strings.Contains(head, "\nupgrade: h2c") {
		t.mode = modeH2
		if end >= 0 {
			t.feedH2(b[end+4:], ns)
		}
	}
}

func (t *tap) feedH2(b []byte, ns int64) {
	if len(b) == 0 {
		return
	}
	if len(t.pending) == 0 {
		t.pendNS = ns
	}
	t.pending = append(t.pending, b...)
	for len(t.pending) >= 9 {
		n := int(t.pending[0])<<16 | int(t.pending[1])<<8 | int(t.pending[2])
		if len(t.pending) < 9+n {
			return
		}
		t.frame(t.pending[:9], t.pending[9:9+n], t.pendNS)
		t.pending = t.pending[9+n:]
		// The next frame, if it is already here, came in this write.
		t.pendNS = ns
	}
}

func (t *tap) frame(h, p []byte, ns int64) {
	ev := srvEvent{NS: ns, Type: http2.FrameType(h[3]), Flags: http2.Flags(h[4]),
		Stream: binary.BigEndian.Uint32(h[5:9]) & (1<<31 - 1)}
	switch ev.Type {
	case http2.FrameHeaders:
		p = unpad(ev.Flags, p)
		if ev.Flags.Has(http2.FlagHeadersPriority) && len(p) >= 5 {
			p = p[5:]
		}
		t.startBlock(ev, p)
		return
	case http2.FramePushPromise:
		p = unpad(ev.Flags, p)
		if len(p) >= 4 {
			ev.Promised = binary.BigEndian.Uint32(p) & (1<<31 - 1)
			t.startBlock(ev, p[4:])
		}
		return
	case http2.FrameContinuation:
		if t.block != nil {
			t.block.Frames++
			t.dec.Write(p)
			if ev.Flags.Has(http2.FlagContinuationEndHeaders) {
				t.endBlock()
			}
		}
		return
	case http2.FrameRSTStream:
		if len(p) >= 4 {
			ev.Code = binary.BigEndian.Uint32(p)
		}
	case http2.FrameGoAway:
		if len(p) >= 8 {
			ev.Last = binary.BigEndian.Uint32(p) & (1<<31 - 1)
			ev.Code = binary.BigEndian.Uint32(p[4:])
		}
	}
	t.events = append(t.events, ev)
}

func unpad(f http2.Flags, p []byte) []byte {
	if !f.Has(http2.FlagHeadersPadded) || len(p) == 0 {
		return p
	}
	pad := int(p[0])
	if 1+pad > len(p) {
		return nil
	}
	return p[1 : len(p)-pad]
}

func (t *tap) startBlock(ev srvEvent, frag []byte) {
	ev.Frames = 1
	t.block = &ev
	t.fields = map[string]string{}
	t.dec.Write(frag)
	// END_HEADERS is the same bit (0x4) in HEADERS and PUSH_PROMISE.
	if ev.Flags.Has(http2.FlagHeadersEndHeaders) {
		t.endBlock()
	}
}

func (t *tap) endBlock() {
	t.dec.Close()
	ev := *t.block
	ev.Fields = t.fields
	ev.Status, _ = strconv.Atoi(t.fields[":status"])
	t.events = append(t.events, ev)
	t.block, t.fields = nil, nil
}
