package tcpconn

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/handshake"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
	"github.com/pcapmeter/pcapmeter/parse"
)

// dirState is what one direction of a connection has sent.
type dirState struct {
	packets   int
	bytes     int64
	unique    int64 // payload bytes not flagged as retransmissions
	firstData parse.Time
	lastData  parse.Time
	hasData   bool
	fin, rst  bool
	syn       bool
	mss       int
	maxLen    int
	// runStart is the first data segment sent since the other side last
	// sent data (inRun: that run goes on).
	runStart parse.Time
	inRun    bool
	// gap analysis
	prev *Segment
	gaps []Gap
}

// state is one connection while its packets stream by; finish turns it
// into a Conn once the capture has been read, when the roles are known.
type state struct {
	c        Conn
	a        netip.AddrPort // first source seen
	b        netip.AddrPort
	dirs     [2]dirState // 0: from a, 1: from b
	synFrom  int         // -1 unknown
	httpFrom int
	hs       handshake.Tracker
	tls      *tlshs.Tracker // nil until a TLS record is seen
	irtt     float64
	hasIRTT  bool
	// dataAfter is, per direction, its first data after the other side's
	// first data: the answer to the first request.
	dataAfter [2]parse.Time
	hasAfter  [2]bool
}

func (st *state) add(s *Segment, gaps bool) {
	d := 0
	if netip.AddrPortFrom(s.Src, s.SrcPort) != st.a {
		d = 1
	}
	ds := &st.dirs[d]
	st.c.end = max(st.c.end, s.Time)
	ds.packets++
	st.handshake(d, s)
	if s.HasRTT && !st.hasIRTT {
		st.irtt, st.hasIRTT = s.InitialRTT, true
	}
	if s.HTTPRequests > 0 {
		st.c.HTTPRequests += s.HTTPRequests
		if st.httpFrom < 0 {
			st.httpFrom = d
		}
	}
	ds.fin = ds.fin || s.Flags&parse.FlagFIN != 0
	ds.rst = ds.rst || s.Flags&parse.FlagRST != 0
	st.c.countEvents(s)
	if s.Len > 0 && !ds.inRun {
		// A run is what one side sends before the other sends data: a
		// TLS flight (or message) begins with the run's first segment,
		// though tshark reports it on the segment that completes it.
		ds.runStart, ds.inRun = s.Time, true
		st.dirs[1-d].inRun = false
	}
	if s.TLS != nil {
		if st.tls == nil {
			st.tls = tlshs.NewTracker()
		}
		st.tls.Add(d, s.Frame, s.Time, ds.runStart, s.TLS)
	}
	if s.Len > 0 {
		st.addData(d, s, gaps)
	}
}

// handshake follows SYN, SYN/ACK and the client's ACK; the SYN's sender
// is the client.
func (st *state) handshake(d int, s *Segment) {
	ds := &st.dirs[d]
	st.hs.Add(d, s.Flags, s.Time)
	if s.Flags&parse.FlagSYN == 0 {
		return
	}
	ds.syn = true
	if s.MSS > 0 {
		ds.mss = s.MSS
	}
	if s.Flags&parse.FlagACK == 0 && st.synFrom < 0 {
		st.synFrom = d
	}
}

// countEvents counts tshark's analysis flags.
func (c *Conn) countEvents(s *Segment) {
	for _, e := range []struct {
		set bool
		n   *int
	}{
		{s.Retransmission, &c.Retransmissions}, {s.FastRetransmission, &c.FastRetransmissions},
		{s.OutOfOrder, &c.OutOfOrder}, {s.LostSegment, &c.LostSegments},
		{s.DuplicateAck, &c.DuplicateAcks}, {s.ZeroWindow, &c.ZeroWindows},
	} {
		if e.set {
			*e.n++
		}
	}
}

// addData accounts a segment with payload sent in direction d.
func (st *state) addData(d int, s *Segment, gaps bool) {
	ds := &st.dirs[d]
	ds.bytes += int64(s.Len)
	if !s.Retransmission {
		ds.unique += int64(s.Len)
	}
	ds.maxLen = max(ds.maxLen, s.Len)
	if !ds.hasData {
		ds.hasData, ds.firstData = true, s.Time
	}
	ds.lastData = max(ds.lastData, s.Time)
	if other := &st.dirs[1-d]; other.hasData && !st.hasAfter[d] && s.Time >= other.firstData {
		st.dataAfter[d], st.hasAfter[d] = s.Time, true
	}
	if !gaps {
		return
	}
	g := Gap{Frame: s.Frame, Offset: int64(s.Seq) - 1, Len: s.Len, Flags: []string{}}
	if p := ds.prev; p != nil {
		g.Gap = s.Time.Sub(p.Time)
		if s.HasIPID && p.HasIPID && s.IPID != p.IPID+1 {
			g.Flags = append(g.Flags, IPIDGap)
		}
		if s.Seq != p.Seq+uint32(p.Len) {
			g.Flags = append(g.Flags, OutOfOrder)
		}
	}
	ds.gaps = append(ds.gaps, g)
	cp := *s
	ds.prev = &cp
}

func (st *state) finish() *Conn {
	c := &st.c
	cl := st.clientSide()
	ends := [2]netip.AddrPort{st.a, st.b}
	c.Client, c.Server = ends[cl], ends[1-cl]
	cd, sd := &st.dirs[cl], &st.dirs[1-cl]
	c.Start, c.End, c.Dur = c.start.RFC3339(), c.end.RFC3339(), c.end.Sub(c.start)
	h := st.hs.Result()
	if cd.syn && st.synFrom == cl {
		c.HasSynAck, c.SynToSynAck = h.HasSynAck, h.SynToSynAck
		c.SynRetransmissions, c.SynAckRetransmissions = h.RetransmittedSYNs, h.RetransmittedSynAcks
		if h.Complete {
			c.HasHandshake, c.SynAckToAck, c.HandshakeRTT, c.ConnectTime = true, h.SynAckToAck, h.RTT, h.Connect
		}
	}
	if st.hasIRTT {
		c.TsharkIRTT = st.irtt
	}
	c.ClientMSS, c.ServerMSS = cd.mss, sd.mss
	c.PacketsC2S, c.PacketsS2C, c.BytesC2S, c.BytesS2C = cd.packets, sd.packets, cd.bytes, sd.bytes
	if cd.hasData && c.HasHandshake {
		c.HasRequestDelay, c.RequestDelay = true, cd.firstData.Sub(h.Ack)
	}
	if cd.hasData && st.hasAfter[1-cl] {
		c.HasFirstByte = true
		c.FirstByte = st.dataAfter[1-cl].Sub(cd.firstData)
		c.LastByte = sd.lastData.Sub(cd.firstData)
	}
	if sd.hasData {
		if span := sd.lastData.Sub(sd.firstData); span > 0 {
			c.HasGoodput, c.Goodput = true, float64(sd.unique)/span
		}
	}
	c.Ended = ended(cd, sd)
	c.TLS = st.tls.Result()
	if sd.gaps != nil {
		c.finishGaps(cd, sd)
	}
	return c
}

// clientSide returns the direction index of the client and sets how it
// was told.
func (st *state) clientSide() int {
	switch {
	case st.synFrom >= 0:
		st.c.Roles = "syn"
		return st.synFrom
	case st.httpFrom >= 0:
		st.c.Roles = "http"
		return st.httpFrom
	case st.tls != nil && st.tls.Client() >= 0:
		st.c.Roles = "tls"
		return st.tls.Client()
	}
	st.c.Roles = "port"
	if st.a.Port() < st.b.Port() {
		return 1 // a has the lower port: a is the server
	}
	return 0
}

// ended says how the connection ended; an RST wins over FINs.
func ended(cd, sd *dirState) string {
	switch {
	case cd.rst:
		return "RST by client"
	case sd.rst:
		return "RST by server"
	case cd.fin && sd.fin:
		return "FIN"
	case cd.fin:
		return "FIN by client"
	case sd.fin:
		return "FIN by server"
	}
	return "open"
}

// finishGaps flags short segments mid-flow. Segments the server sends are
// bounded by the MSS the client announced; with segmentation offload (or
// no SYN) the largest segment seen is the better yardstick.
func (c *Conn) finishGaps(cd, sd *dirState) {
	c.GapMSS, c.GapMSSSource = cd.mss, "client SYN MSS option"
	if c.GapMSS == 0 || sd.maxLen > c.GapMSS {
		c.GapMSS, c.GapMSSSource = sd.maxLen, "largest server segment"
	}
	for i := 1; i < len(sd.gaps); i++ {
		if sd.gaps[i-1].Len < c.GapMSS {
			sd.gaps[i].Flags = append(sd.gaps[i].Flags, LastPacketShort)
		}
	}
	c.Gaps = sd.gaps
}
