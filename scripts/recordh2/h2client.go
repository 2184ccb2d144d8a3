package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client is a hand-written HTTP/2 client: net/http's own client gives no
// hold on stream ids, frame write times, RST_STREAM or CONTINUATION, and
// the truth needs all four. It frames with x/net's Framer and HPACK.
type h2Client struct {
	conn      net.Conn
	authority string
	scheme    string

	wmu    sync.Mutex // one frame (or one split frame) on the wire at a time
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	nextID uint32

	rd *http2.Framer

	mu       sync.Mutex
	streams  map[uint32]*cStream
	order    []uint32 // streams in the order they were opened or promised
	goaway   *Goaway  // sent by the client
	readDone chan struct{}
}

// cStream is the client's record of one stream.
type cStream struct {
	spec     *reqSpec // nil for a pushed stream
	id       uint32
	parent   uint32 // the stream whose PUSH_PROMISE announced it
	path     string
	firstNS  int64
	statuses []int // as received, interim first
	rstNS    int64 // RST_STREAM written by the client
	rstCode  http2.ErrCode
	gotRST   bool
	final    chan struct{} // closed at the final HEADERS
	done     chan struct{} // closed at END_STREAM or a reset either way
	once     sync.Once
	finOnce  sync.Once
	timedOut bool
}

func (s *cStream) end()      { s.once.Do(func() { close(s.done) }) }
func (s *cStream) gotFinal() { s.finOnce.Do(func() { close(s.final) }) }
func newStream(id uint32) *cStream {
	return &cStream{id: id, final: make(chan struct{}), done: make(chan struct{})}
}

// clientSettings: a large stream window so that no response here waits for
// WINDOW_UPDATE, as browsers and Go's own client do.
var clientSettings = []http2.Setting{
	{ID: http2.SettingEnablePush, Val: 1},
	{ID: http2.SettingInitialWindowSize, Val: 4 << 20},
}

func newH2Client(conn net.Conn, br *bufio.Reader, scheme string) *h2Client {
	c := &h2Client{conn: conn, authority: serverName, scheme: scheme, nextID: 1,
		streams: map[uint32]*cStream{}, readDone: make(chan struct{})}
	c.enc = hpack.NewEncoder(&c.encBuf)
	c.rd = http2.NewFramer(nil, br)
	c.rd.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.rd.MaxHeaderListSize = 1 << 20
	return c
}

// start writes the connection preface and settings, then reads frames
// until the connection ends.
func (c *h2Client) start() error {
	var b bytes.Buffer
	b.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&b, nil)
	fr.WriteSettings(clientSettings...)
	fr.WriteWindowUpdate(0, 1<<30)
	if _, err := c.send(b.Bytes()); err != nil {
		return err
	}
	go c.readLoop()
	return nil
}

// send writes b under the write lock and returns the time of the write.
func (c *h2Client) send(b []byte) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ns := time.Now().UnixNano()
	_, err := c.conn.Write(b)
	return ns, err
}

// frames builds frames with a throwaway Framer so they can be written
// (or split) as plain bytes.
func frames(build func(fr *http2.Framer)) []byte {
	var b bytes.Buffer
	build(http2.NewFramer(&b, nil))
	return b.Bytes()
}

// requestFields are the request's headers, pseudo-headers first.
func (c *h2Client) requestFields(s *reqSpec) []hpack.HeaderField {
	f := []hpack.HeaderField{
		{Name: ":method", Value: s.Method}, {Name: ":scheme", Value: c.scheme},
		{Name: ":authority", Value: c.authority}, {Name: ":path", Value: s.Path},
		{Name: "user-agent", Value: "recordh2"},
	}
	if s.GRPC {
		f = append(f, hpack.HeaderField{Name: "content-type", Value: "application/grpc"},
			hpack.HeaderField{Name: "te", Value: "trailers"}, hpack.HeaderField{Name: "x-plan", Value: s.Plan})
	} else if s.ReqBody > 0 {
		f = append(f, hpack.HeaderField{Name: "content-type", Value: "text/plain"},
			hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(s.ReqBody)})
	}
	if s.BigReqHeader {
		f = append(f, hpack.HeaderField{Name: "x-big-req", Value: bigValue(24000)})
	}
	return f
}

// register allocates the next stream id; the caller holds wmu, so ids
// reach the wire in increasing order.
func (c *h2Client) register(s *reqSpec) *cStream {
	st := newStream(c.nextID)
	st.spec, st.path = s, s.Path
	c.nextID += 2
	c.mu.Lock()
	c.streams[st.id], c.order = st, append(c.order, st.id)
	c.mu.Unlock()
	return st
}

// requestFrames are the request's HEADERS (with CONTINUATION past 16 KB)
// and the first DATA frame of its body, if any.
func (c *h2Client) requestFrames(st *cStream, s *reqSpec) (headers, data []byte) {
	c.encBuf.Reset()
	for _, f := range c.requestFields(s) {
		c.enc.WriteField(f)
	}
	block := c.encBuf.Bytes()
	body := requestBody(s)
	headers = frames(func(fr *http2.Framer) {
		const max = 16384
		first := block[:min(len(block), max)]
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: first,
			EndStream: len(body) == 0, EndHeaders: len(block) <= max})
		for rest := block[len(first):]; len(rest) > 0; {
			n := min(len(rest), max)
			fr.WriteContinuation(st.id, n == len(rest), rest[:n])
			rest = rest[n:]
		}
	})
	if len(body) == 0 {
		return headers, nil
	}
	if s.EarlyAnswer {
		body = body[:len(body)/2] // the rest follows after the answer
	}
	return headers, frames(func(fr *http2.Framer) { fr.WriteData(st.id, !s.EarlyAnswer, body) })
}

// open writes one request: its HEADERS (split over two writes if
// planned), then its body.
func (c *h2Client) open(s *reqSpec) (*cStream, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	st := c.register(s)
	out, data := c.requestFrames(st, s)
	if s.SplitHeaders {
		// The HEADERS frame leaves in two writes: two TCP segments, or two
		// TLS records, 5 ms apart.
		cut := len(out) / 2
		st.firstNS = time.Now().UnixNano()
		if _, err := c.conn.Write(out[:cut]); err != nil {
			return st, err
		}
		time.Sleep(5 * time.Millisecond)
		out = out[cut:]
	}
	ns := time.Now().UnixNano()
	if st.firstNS == 0 {
		st.firstNS = ns
	}
	if _, err := c.conn.Write(out); err != nil {
		return st, err
	}
	if data != nil {
		_, err := c.conn.Write(data)
		return st, err
	}
	return st, nil
}

// openBatch writes several requests in one write, as browsers do when a
// page asks for many resources: one packet then carries frames of
// several streams.
func (c *h2Client) openBatch(specs []*reqSpec) ([]*cStream, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var out []byte
	var sts []*cStream
	for _, s := range specs {
		st := c.register(s)
		h, d := c.requestFrames(st, s)
		out = append(append(out, h...), d...)
		sts = append(sts, st)
	}
	ns := time.Now().UnixNano()
	for _, st := range sts {
		st.firstNS = ns
	}
	_, err := c.conn.Write(out)
	return sts, err
}

func requestBody(s *reqSpec) []byte {
	switch {
	case s.GRPC:
		return []byte(grpcMessage(max(s.ReqBody, 20)))
	case s.ReqBody > 0:
		return bytes.Repeat([]byte("b"), s.ReqBody)
	}
	return nil
}

// reset writes RST_STREAM for st unless it already ended.
func (c *h2Client) reset(st *cStream, code http2.ErrCode) {
	select {
	case <-st.done:
		return
	default:
	}
	ns, _ := c.send(frames(func(fr *http2.Framer) { fr.WriteRSTStream(st.id, code) }))
	st.rstNS, st.rstCode = ns, code
	st.end()
}

// sendGoAway tells the server the client is leaving, as a client closing a
// connection politely does.
func (c *h2Client) sendGoAway() {
	c.mu.Lock()
	var last uint32
	for id := range c.streams {
		if id%2 == 0 && id > last {
			last = id
		}
	}
	c.mu.Unlock()
	ns, _ := c.send(frames(func(fr *http2.Framer) { fr.WriteGoAway(last, http2.ErrCodeNo, nil) }))
	c.goaway = &Goaway{NS: ns, LastStream: last, Code: http2.ErrCodeNo.String()}
}

// do runs one planned request to its end (or its planned reset).
func (c *h2Client) do(s *reqSpec) (*cStream, error) {
	st, err := c.open(s)
	if err != nil {
		return st, err
	}
	return st, c.follow(st)
}

// follow plays the rest of a stream's plan after its request is written
// and waits for its end.
func (c *h2Client) follow(st *cStream) error {
	s := st.spec
	switch s.ClientReset {
	case "before":
		select {
		case <-time.After(s.Delay / 2):
			c.reset(st, http2.ErrCodeCancel)
		case <-st.done:
		}
	case "mid":
		select {
		case <-st.final:
			time.Sleep(5 * time.Millisecond)
			c.reset(st, http2.ErrCodeCancel)
		case <-st.done:
		}
	}
	if s.EarlyAnswer {
		select {
		case <-st.done:
		case <-time.After(60 * time.Millisecond):
			rest := requestBody(s)[s.ReqBody/2:]
			c.send(frames(func(fr *http2.Framer) { fr.WriteData(st.id, true, rest) }))
		}
	}
	if s.Hang {
		return nil
	}
	select {
	case <-st.done:
	case <-time.After(15 * time.Second):
		st.timedOut = true
		return fmt.Errorf("stream %d (%s) did not end", st.id, s.Path)
	}
	return nil
}

func (c *h2Client) stream(id uint32) *cStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams[id]
}

func (c *h2Client) readLoop() {
	defer close(c.readDone)
	for {
		f, err := c.rd.ReadFrame()
		if err != nil {
			if _, ok := err.(http2.StreamError); ok {
				continue
			}
			return
		}
		c.handle(f)
	}
}

func (c *h2Client) handle(f http2.Frame) {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !f.IsAck() {
			c.send(frames(func(fr *http2.Framer) { fr.WriteSettingsAck() }))
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			c.send(frames(func(fr *http2.Framer) { fr.WritePing(true, f.Data) }))
		}
	case *http2.MetaHeadersFrame:
		st := c.stream(f.StreamID)
		if st == nil {
			return
		}
		if v := f.PseudoValue("status"); v != "" {
			code, _ := strconv.Atoi(v)
			st.statuses = append(st.statuses, code)
			if code >= 200 {
				st.gotFinal()
			}
		}
		if f.StreamEnded() {
			st.end()
		}
	case *http2.DataFrame:
		if st := c.stream(f.StreamID); st != nil && f.StreamEnded() {
			st.end()
		}
	case *http2.RSTStreamFrame:
		if st := c.stream(f.StreamID); st != nil {
			st.gotRST = true
			st.end()
		}
	case *http2.PushPromiseFrame:
		c.promised(f)
	}
}

// promised registers a pushed stream; its header block goes through the
// connection's one HPACK decoder, as the table requires.
func (c *h2Client) promised(f *http2.PushPromiseFrame) {
	st := newStream(f.PromiseID)
	st.parent = f.StreamID
	dec := c.rd.ReadMetaHeaders
	dec.SetEmitFunc(func(h hpack.HeaderField) {
		if h.Name == ":path" {
			st.path = h.Value
		}
	})
	dec.Write(f.HeaderBlockFragment())
	dec.Close()
	c.mu.Lock()
	c.streams[st.id], c.order = st, append(c.order, st.id)
	c.mu.Unlock()
}

// drain waits for the read loop after the connection is closed.
func (c *h2Client) close() {
	c.conn.Close()
	<-c.readDone
}
