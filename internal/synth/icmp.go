package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ICMPConfig describes a synthetic ping capture taken at Node.
type ICMPConfig struct {
	Seed uint64
	Node netip.Addr
	// Peers are pinged by the node, and ping it back, PerPeer times each
	// way. Hops[i] routers lie between the node and Peers[i].
	Peers   []netip.Addr
	Hops    []int
	PerPeer int
	Payload int // ICMP data bytes per request
	// Loss is the probability that a ping the node sends gets no reply;
	// Dup the probability that a reply comes twice.
	Loss, Dup float64
	Start     time.Time
	// ReuseKey > 0 makes the node's pings to each peer cycle through only
	// that many sequence numbers under one identifier (1: every ping
	// carries the same pair), as some probes and long runs past 65535
	// do: which request a reply answers is then ambiguous once a request
	// with the same pair went unanswered.
	ReuseKey int `json:",omitempty"`
	// Interval is the time between one round of pings and the next
	// (default 20 ms: 10 ms after the node's ping, 10 ms after the peer's).
	Interval time.Duration `json:",omitempty"`
	// Detail lists every echo the node sent in the truth (ICMPTruth.Echoes).
	Detail bool `json:",omitempty"`
}

// Echo is the truth about one echo request the node sent (ICMPConfig.Detail).
type Echo struct {
	Peer         string `json:"peer"`
	ID           uint16 `json:"id"`
	Seq          uint16 `json:"seq"`
	RequestFrame int    `json:"request_frame"`
	ReplyFrame   int    `json:"reply_frame"` // 0: no reply
	RTTNS        int64  `json:"rtt_ns,omitempty"`
	// DuplicateFrame is a second copy of the reply.
	DuplicateFrame int `json:"duplicate_frame,omitempty"`
	// Ambiguous: when the reply arrived, an earlier request with the same
	// peer, identifier and sequence number had no reply yet, so the
	// capture alone cannot say which of them it answers.
	Ambiguous bool `json:"ambiguous,omitempty"`
}

// ICMPTruth is what the node's 13 metrics must come out as, computed
// from the generated packets by the definitions, and the raw sums.
type ICMPTruth struct {
	Config           ICMPConfig `json:"config"`
	RequestsSent     int        `json:"echo_requests_sent"`
	RequestsReceived int        `json:"echo_requests_received"`
	RepliesSent      int        `json:"echo_replies_sent"`
	RepliesReceived  int        `json:"echo_replies_received"`
	RequestBytesSent int64      `json:"echo_request_bytes_sent"`
	RequestBytesRecv int64      `json:"echo_request_bytes_received"`
	RequestDataSent  int64      `json:"echo_request_data_sent"`
	RequestDataRecv  int64      `json:"echo_request_data_received"`
	RTTSumNS         int64      `json:"rtt_sum_ns"` // over answered pings the node sent
	AnsweredBytes    int64      `json:"answered_request_bytes"`
	AnsweredData     int64      `json:"answered_request_data"`
	Answered         int        `json:"answered"`
	DelaySumNS       int64      `json:"reply_delay_sum_ns"`
	HopsSum          int        `json:"hops_sum"`
	Duplicates       int        `json:"duplicate_replies"`
	AmbiguousReplies int        `json:"ambiguous_replies,omitempty"`
	Echoes           []Echo     `json:"echoes,omitempty"`
}

type icmpPkt struct {
	t        int64
	src, dst netip.Addr
	ttl      uint8
	request  bool
	id, seq  uint16
	payload  int
	echo     int // index in the truth's echoes, -1 for the peer's pings
	dup      bool
}

// GenerateICMP writes a pcap of ICMPv4 (or ICMPv6, when Node is IPv6)
// echo traffic seen at Node and returns its truth.
func GenerateICMP(cfg ICMPConfig, w io.Writer) (*ICMPTruth, error) {
	if !cfg.Node.IsValid() || len(cfg.Peers) == 0 || len(cfg.Hops) != len(cfg.Peers) {
		return nil, fmt.Errorf("synth: bad ICMP config")
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x1c3b))
	tr := &ICMPTruth{Config: cfg}
	var pk []icmpPkt
	t := cfg.Start.UnixNano()
	v6 := cfg.Node.Is6()
	frame := int64(14 + 20 + 8 + cfg.Payload)
	if v6 {
		frame = 14 + 40 + 8 + int64(cfg.Payload)
	}
	step := int64(10_000_000)
	if cfg.Interval > 0 {
		step = int64(cfg.Interval) / 2
	}
	var echoes []Echo
	for i, peer := range cfg.Peers {
		hops := cfg.Hops[i]
		oneWay := int64(200_000 + 300_000*hops) // ns
		for s := 0; s < cfg.PerPeer; s++ {
			// The node pings the peer: request leaves with TTL 64, the
			// reply arrives with the peer's initial TTL (128) less one
			// per router.
			rtt := 2*oneWay + int64(r.IntN(500_000)) + 50_000
			seq := uint16(s)
			if cfg.ReuseKey > 0 {
				seq = uint16(s % cfg.ReuseKey)
			}
			echo := len(echoes)
			echoes = append(echoes, Echo{Peer: peer.String(), ID: uint16(0x100 + i), Seq: seq})
			pk = append(pk, icmpPkt{t: t, src: cfg.Node, dst: peer, ttl: 64, request: true, id: uint16(0x100 + i), seq: seq, payload: cfg.Payload, echo: echo})
			tr.RequestsSent++
			tr.RequestBytesSent += frame
			tr.RequestDataSent += int64(cfg.Payload)
			if r.Float64() >= cfg.Loss {
				rep := icmpPkt{t: t + rtt, src: peer, dst: cfg.Node, ttl: uint8(128 - hops), id: uint16(0x100 + i), seq: seq, payload: cfg.Payload, echo: echo}
				echoes[echo].RTTNS = rtt
				pk = append(pk, rep)
				tr.RepliesReceived++
				tr.Answered++
				tr.RTTSumNS += rtt
				tr.AnsweredBytes += frame
				tr.AnsweredData += int64(cfg.Payload)
				tr.HopsSum += hops + 1
				if r.Float64() < cfg.Dup {
					rep.t += 1000
					rep.dup = true
					pk = append(pk, rep)
					tr.RepliesReceived++
					tr.Duplicates++
				}
			}
			t += step
			// The peer pings the node, which answers after a short delay.
			delay := int64(20_000 + r.IntN(80_000))
			pk = append(pk, icmpPkt{t: t, src: peer, dst: cfg.Node, ttl: uint8(128 - hops), request: true, id: uint16(0x200 + i), seq: uint16(s), payload: cfg.Payload, echo: -1})
			pk = append(pk, icmpPkt{t: t + delay, src: cfg.Node, dst: peer, ttl: 64, id: uint16(0x200 + i), seq: uint16(s), payload: cfg.Payload, echo: -1})
			tr.RequestsReceived++
			tr.RepliesSent++
			tr.RequestBytesRecv += frame
			tr.RequestDataRecv += int64(cfg.Payload)
			tr.DelaySumNS += delay
			t += step
		}
	}
	slices.SortStableFunc(pk, func(a, b icmpPkt) int { return int(a.t - b.t) })
	if cfg.Detail {
		tr.Echoes = echoFrames(pk, echoes)
		for _, e := range tr.Echoes {
			if e.Ambiguous {
				tr.AmbiguousReplies++
			}
		}
	}
	bw := bufio.NewWriter(w)
	pw := pcapgo.NewWriterNanos(bw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	data := make([]byte, cfg.Payload)
	for i := range data {
		data[i] = byte('a' + i%23)
	}
	for _, p := range pk {
		eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}}
		var ls []gopacket.SerializableLayer
		if v6 {
			eth.EthernetType = layers.EthernetTypeIPv6
			ip := &layers.IPv6{Version: 6, HopLimit: p.ttl, NextHeader: layers.IPProtocolICMPv6, SrcIP: p.src.AsSlice(), DstIP: p.dst.AsSlice()}
			typ := uint8(layers.ICMPv6TypeEchoReply)
			if p.request {
				typ = layers.ICMPv6TypeEchoRequest
			}
			icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
			icmp.SetNetworkLayerForChecksum(ip)
			echo := &layers.ICMPv6Echo{Identifier: p.id, SeqNumber: p.seq}
			ls = []gopacket.SerializableLayer{eth, ip, icmp, echo, gopacket.Payload(data)}
		} else {
			eth.EthernetType = layers.EthernetTypeIPv4
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: p.ttl, Protocol: layers.IPProtocolICMPv4, SrcIP: p.src.AsSlice(), DstIP: p.dst.AsSlice()}
			typ := uint8(layers.ICMPv4TypeEchoReply)
			if p.request {
				typ = layers.ICMPv4TypeEchoRequest
			}
			icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: p.id, Seq: p.seq}
			ls = []gopacket.SerializableLayer{eth, ip, icmp, gopacket.Payload(data)}
		}
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			return nil, err
		}
		b := buf.Bytes()
		if err := pw.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, p.t), CaptureLength: len(b), Length: len(b)}, b); err != nil {
			return nil, err
		}
	}
	return tr, bw.Flush()
}

// echoFrames numbers the echoes' frames and flags ambiguous replies: a
// reply is ambiguous when an earlier request with the same peer,
// identifier and sequence number has no reply before it.
func echoFrames(pk []icmpPkt, echoes []Echo) []Echo {
	type key struct {
		peer    string
		id, seq uint16
	}
	open := map[key]int{} // requests sent and not yet answered
	for i, p := range pk {
		if p.echo < 0 {
			continue
		}
		e := &echoes[p.echo]
		k := key{e.Peer, e.ID, e.Seq}
		switch {
		case p.request:
			e.RequestFrame = i + 1
			open[k]++
		case p.dup:
			e.DuplicateFrame = i + 1
		default:
			e.ReplyFrame = i + 1
			e.Ambiguous = open[k] > 1
			open[k]--
		}
	}
	return echoes
}
