// Package synth writes deterministic synthetic HTTP/1.1 captures with exact
// ground truth. It exists because some cases a test must cover cannot be
// produced on demand with real traffic on loopback (packet loss and
// retransmission, reordering, a capture that drops a whole response), and
// because benchmarks need captures of a million packets made in seconds.
//
// The capture point is the client's host: segments the client sends are
// always captured (a lost one appears twice, original and retransmission);
// a server segment lost on the way is absent and its retransmission appears
// later. Every timestamp, sequence number and byte is a function of the
// Config, so the same Config always gives the same file.
package synth

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Config describes a synthetic capture.
type Config struct {
	Seed    uint64
	Conns   int // TCP connections
	PerConn int // HTTP exchanges per connection
	// Dist is the server delay distribution: "exp", "lognormal", "uniform"
	// or "const", with mean Mean (lognormal: median Mean, sigma 0.5;
	// uniform: 0.5–1.5 × Mean).
	Dist string
	Mean time.Duration
	// RTT is the client–server round trip time.
	RTT time.Duration
	// BodyMin and BodyMax bound the response body size in bytes.
	BodyMin, BodyMax int
	// Pipeline > 1 sends requests in back-to-back batches of that size.
	Pipeline int
	IPv6     bool
	Port     uint16
	MSS      int
	// Loss is the probability that a data segment is lost once.
	Loss float64
	// Reorder is the probability that a server segment arrives after the
	// one that follows it.
	Reorder float64
	// GapEvery > 0 removes every GapEvery-th response of a connection from
	// the capture entirely (a capture drop): its request is unanswered.
	GapEvery int
	// PCAPNG selects pcapng output; otherwise pcap with ns timestamps.
	PCAPNG bool
	// Start is the time of the first packet.
	Start time.Time
}

// Default returns a small, sensible configuration.
func Default() Config {
	return Config{
		Seed: 1, Conns: 4, PerConn: 25, Dist: "lognormal", Mean: 20 * time.Millisecond,
		RTT: 2 * time.Millisecond, BodyMin: 200, BodyMax: 5000, Pipeline: 1, Port: 80, MSS: 1460,
		PCAPNG: true, Start: time.Unix(1700000000, 0).UTC(),
	}
}

// Exchange is the truth about one request.
type Exchange struct {
	Conn       int    `json:"conn"`
	Index      int    `json:"index"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Method     string `json:"method"`
	URI        string `json:"uri"`
	Status     int    `json:"status"`      // 0: not answered in the capture
	LostInGap  bool   `json:"lost_in_gap"` // the response was dropped from the capture
	DelayNS    int64  `json:"delay_ns"`
	ReqFirst   int64  `json:"req_first_ns"` // Unix ns at the capture point
	ReqLast    int64  `json:"req_last_ns"`
	RespFirst  int64  `json:"resp_first_ns"`
	RespLast   int64  `json:"resp_last_ns"`
	BodyBytes  int    `json:"body_bytes"`
	Retransmit int    `json:"retransmitted_segments"`
}

// TTFB, TTLB and Server give the truth latencies in seconds.
func (e Exchange) TTFB() float64 { return float64(e.RespFirst-e.ReqFirst) / 1e9 }

// TTLB is request first byte to response last byte, seconds.
func (e Exchange) TTLB() float64 { return float64(e.RespLast-e.ReqFirst) / 1e9 }

// ServerTime is request last byte to response first byte, seconds.
func (e Exchange) ServerTime() float64 { return float64(e.RespFirst-e.ReqLast) / 1e9 }

// Truth is everything a test needs to check an analysis of the capture.
type Truth struct {
	Config        Config     `json:"config"`
	Packets       int        `json:"packets"`
	Retransmitted int        `json:"retransmitted_segments"`
	Exchanges     []Exchange `json:"exchanges"`
}

type pkt struct {
	t        int64 // ns
	conn     int
	order    int // tie-break, in generation order
	fromCli  bool
	seq, ack uint32
	flags    uint8
	payload  []byte // nil for a run of filler bytes of length n
	n        int
}

const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10
)

type gen struct {
	cfg  Config
	r    *rand.Rand
	pkts []pkt
	tr   *Truth
	seq  int
}

func (g *gen) add(p pkt) {
	p.order = g.seq
	g.seq++
	g.pkts = append(g.pkts, p)
}

func (g *gen) delay() time.Duration {
	m := float64(g.cfg.Mean)
	var d float64
	switch g.cfg.Dist {
	case "exp":
		d = g.r.ExpFloat64() * m
	case "uniform":
		d = m * (0.5 + g.r.Float64())
	case "const":
		d = m
	default:
		d = m * math.Exp(0.5*g.r.NormFloat64())
	}
	return time.Duration(d).Round(time.Microsecond)
}

// Generate writes the capture to w and returns its truth.
func Generate(cfg Config, w io.Writer) (*Truth, error) {
	if cfg.Conns < 1 || cfg.PerConn < 0 || cfg.MSS < 100 || cfg.BodyMin < 0 || cfg.BodyMax < cfg.BodyMin {
		return nil, fmt.Errorf("synth: bad config %+v", cfg)
	}
	if cfg.Pipeline < 1 {
		cfg.Pipeline = 1
	}
	if cfg.Port == 0 {
		cfg.Port = 80
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), tr: &Truth{Config: cfg}}
	for c := 0; c < cfg.Conns; c++ {
		g.conn(c)
	}
	slices.SortStableFunc(g.pkts, func(a, b pkt) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	g.tr.Packets = len(g.pkts)
	return g.tr, g.write(w)
}

func (g *gen) addrs(c int) (cli, srv netip.AddrPort) {
	if g.cfg.IPv6 {
		cli = netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf("fd00::1:%x", c/50000+1)), uint16(10000+c%50000))
		srv = netip.AddrPortFrom(netip.MustParseAddr("fd00::80"), g.cfg.Port)
	} else {
		cli = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(c / 50000), 1 + byte(c/50000/256)}), uint16(10000+c%50000))
		srv = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 80}), g.cfg.Port)
	}
	return
}

// conn generates one connection: handshake, exchanges, FIN both ways.
func (g *gen) conn(c int) {
	cfg := g.cfg
	cli, srv := g.addrs(c)
	half := int64(cfg.RTT) / 2
	t := cfg.Start.UnixNano() + int64(c)*int64(3*time.Millisecond) + int64(g.r.IntN(1000))*1000
	// Sequence numbers are relative-friendly: ISNs from the seed.
	cISN, sISN := g.r.Uint32(), g.r.Uint32()
	cseq, sseq := cISN+1, sISN+1
	g.add(pkt{t: t, conn: c, fromCli: true, seq: cISN, flags: fSYN})
	g.add(pkt{t: t + int64(cfg.RTT), conn: c, seq: sISN, ack: cseq, flags: fSYN | fACK})
	t += int64(cfg.RTT) + 20_000
	g.add(pkt{t: t, conn: c, fromCli: true, seq: cseq, ack: sseq, flags: fACK})
	t += 50_000

	serverFree := int64(0) // when the server finishes its previous response (at the server)
	for i := 0; i < cfg.PerConn; {
		batch := min(cfg.Pipeline, cfg.PerConn-i)
		type sent struct {
			ex       Exchange
			arriveAt int64 // request complete at the server
		}
		var reqs []sent
		// Client writes the batch back to back.
		for k := 0; k < batch; k++ {
			idx := i + k
			uri := fmt.Sprintf("/c%d/r%d", c, idx)
			req := []byte(fmt.Sprintf("GET %s HTTP/1.1\r\nHost: synth.test\r\nUser-Agent: pcapsynth\r\n\r\n", uri))
			ex := Exchange{Conn: c, Index: idx, Client: cli.String(), Server: srv.String(), Method: "GET", URI: uri, ReqFirst: t}
			lostAt := int64(-1)
			if g.r.Float64() < cfg.Loss {
				lostAt = t
			}
			g.add(pkt{t: t, conn: c, fromCli: true, seq: cseq, ack: sseq, flags: fPSH | fACK, payload: req})
			arrive := t + half
			if lostAt >= 0 {
				// Lost on the way: the client retransmits after an RTO
				// of 3×RTT (min 200 ms, as Linux), captured again.
				rto := max(int64(3*cfg.RTT), int64(200*time.Millisecond))
				g.add(pkt{t: t + rto, conn: c, fromCli: true, seq: cseq, ack: sseq, flags: fPSH | fACK, payload: req})
				g.tr.Retransmitted++
				ex.Retransmit++
				arrive = t + rto + half
			}
			ex.ReqLast = t
			cseq += uint32(len(req))
			// TCP delivers in order: a request behind a lost one reaches
			// the server only with the retransmission.
			if len(reqs) > 0 {
				arrive = max(arrive, reqs[len(reqs)-1].arriveAt)
			}
			reqs = append(reqs, sent{ex: ex, arriveAt: arrive})
			t += 10_000
		}
		// Server answers in order.
		lastArrival := t
		for k := range reqs {
			ex := &reqs[k].ex
			d := g.delay()
			ex.DelayNS = int64(d)
			start := max(reqs[k].arriveAt, serverFree) + int64(d)
			body := cfg.BodyMin
			if cfg.BodyMax > cfg.BodyMin {
				body += g.r.IntN(cfg.BodyMax - cfg.BodyMin + 1)
			}
			head := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + strconv.Itoa(body) + "\r\n\r\n"
			total := len(head) + body
			ex.BodyBytes = body
			gap := cfg.GapEvery > 0 && (ex.Index+1)%cfg.GapEvery == 0
			nseg := (total + cfg.MSS - 1) / cfg.MSS
			type seg struct {
				at   int64
				seq  uint32
				data []byte
				n    int
			}
			var segs []seg
			off := 0
			segStart := start
			for s := 0; s < nseg; s++ {
				n := min(cfg.MSS, total-off)
				var data []byte
				if off < len(head) {
					data = []byte(head[off:min(len(head), off+n)])
					if len(data) < n {
						data = append(data, []byte(strings.Repeat("x", n-len(data)))...)
					}
				}
				arrive := segStart + half + int64(s)*12_000 // 12 µs per segment
				segs = append(segs, seg{at: arrive, seq: sseq + uint32(off), data: data, n: n})
				off += n
			}
			serverFree = start + int64(nseg)*12_000
			// Loss: a lost server segment is not captured; its
			// retransmission arrives an RTO later. Reordering swaps the
			// arrival of two neighbours.
			for s := range segs {
				if gap {
					break
				}
				if g.r.Float64() < cfg.Loss {
					rto := max(int64(3*cfg.RTT), int64(200*time.Millisecond))
					segs[s].at += rto
					g.tr.Retransmitted++
					ex.Retransmit++
				} else if s+1 < len(segs) && g.r.Float64() < cfg.Reorder {
					segs[s].at, segs[s+1].at = segs[s+1].at+1000, segs[s].at
				}
			}
			if !gap {
				first, last := segs[0].at, segs[0].at
				for _, s := range segs {
					last = max(last, s.at)
				}
				// The message's first byte reaches the capture point
				// with the segment holding the lowest sequence number.
				ex.RespFirst, ex.RespLast = first, last
				ex.Status = 200
				for _, s := range segs {
					flags := uint8(fACK)
					if s.seq+uint32(s.n) == sseq+uint32(total) {
						flags |= fPSH
					}
					g.add(pkt{t: s.at, conn: c, seq: s.seq, ack: cseq, flags: flags, payload: s.data, n: s.n})
				}
				// The client acknowledges the whole response once.
				g.add(pkt{t: last + 30_000, conn: c, fromCli: true, seq: cseq, ack: sseq + uint32(total), flags: fACK})
				lastArrival = max(lastArrival, last+30_000)
			} else {
				ex.LostInGap = true
				// The client got it (only the capture missed it) and acks.
				end := segs[len(segs)-1].at
				g.add(pkt{t: end + 30_000, conn: c, fromCli: true, seq: cseq, ack: sseq + uint32(total), flags: fACK})
				lastArrival = max(lastArrival, end+30_000)
			}
			sseq += uint32(total)
		}
		for _, s := range reqs {
			g.tr.Exchanges = append(g.tr.Exchanges, s.ex)
		}
		i += batch
		t = lastArrival + 200_000 // client think time
	}
	// Client closes; server closes.
	g.add(pkt{t: t, conn: c, fromCli: true, seq: cseq, ack: sseq, flags: fFIN | fACK})
	g.add(pkt{t: t + int64(cfg.RTT), conn: c, seq: sseq, ack: cseq + 1, flags: fFIN | fACK})
	g.add(pkt{t: t + int64(cfg.RTT) + 20_000, conn: c, fromCli: true, seq: cseq + 1, ack: sseq + 1, flags: fACK})
}

func (g *gen) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var writePacket func(ci gopacket.CaptureInfo, data []byte) error
	var flush func() error
	if g.cfg.PCAPNG {
		ng, err := pcapgo.NewNgWriterInterface(bw, pcapgo.NgInterface{Name: "synth0", LinkType: layers.LinkTypeEthernet, SnapLength: 262144}, pcapgo.NgWriterOptions{})
		if err != nil {
			return err
		}
		writePacket, flush = ng.WritePacket, ng.Flush
	} else {
		pw := pcapgo.NewWriterNanos(bw)
		if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			return err
		}
		writePacket, flush = pw.WritePacket, func() error { return nil }
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	cliMAC := []byte{0x02, 0, 0, 0, 0, 1}
	srvMAC := []byte{0x02, 0, 0, 0, 0, 2}
	filler := []byte(strings.Repeat("x", 65536))
	for _, p := range g.pkts {
		cli, srv := g.addrs(p.conn)
		src, dst := srv, cli
		eth := &layers.Ethernet{SrcMAC: srvMAC, DstMAC: cliMAC}
		if p.fromCli {
			src, dst = cli, srv
			eth.SrcMAC, eth.DstMAC = cliMAC, srvMAC
		}
		tcp := &layers.TCP{
			SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
			Seq: p.seq, Ack: p.ack, Window: 65535,
			FIN: p.flags&fFIN != 0, SYN: p.flags&fSYN != 0, RST: p.flags&fRST != 0,
			PSH: p.flags&fPSH != 0, ACK: p.flags&fACK != 0,
		}
		var ipLayer gopacket.SerializableLayer
		if g.cfg.IPv6 {
			eth.EthernetType = layers.EthernetTypeIPv6
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
			tcp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		} else {
			eth.EthernetType = layers.EthernetTypeIPv4
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice(), Flags: layers.IPv4DontFragment}
			tcp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		}
		payload := p.payload
		if len(payload) < p.n {
			payload = append(payload, filler[:p.n-len(payload)]...)
		}
		if err := gopacket.SerializeLayers(buf, opts, eth, ipLayer, tcp, gopacket.Payload(payload)); err != nil {
			return err
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.t).UTC(), CaptureLength: len(data), Length: len(data)}
		if err := writePacket(ci, data); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
}
