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
}

type icmpPkt struct {
	t        int64
	src, dst netip.Addr
	ttl      uint8
	request  bool
	id, seq  uint16
	payload  int
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
	for i, peer := range cfg.Peers {
		hops := cfg.Hops[i]
		oneWay := int64(200_000 + 300_000*hops) // ns
		for s := 0; s < cfg.PerPeer; s++ {
			// The node pings the peer: request leaves with TTL 64, the
			// reply arrives with the peer's initial TTL (128) less one
			// per router.
			rtt := 2*oneWay + int64(r.IntN(500_000)) + 50_000
			pk = append(pk, icmpPkt{t: t, src: cfg.Node, dst: peer, ttl: 64, request: true, id: uint16(0x100 + i), seq: uint16(s), payload: cfg.Payload})
			tr.RequestsSent++
			tr.RequestBytesSent += frame
			tr.RequestDataSent += int64(cfg.Payload)
			if r.Float64() >= cfg.Loss {
				rep := icmpPkt{t: t + rtt, src: peer, dst: cfg.Node, ttl: uint8(128 - hops), id: uint16(0x100 + i), seq: uint16(s), payload: cfg.Payload}
				pk = append(pk, rep)
				tr.RepliesReceived++
				tr.Answered++
				tr.RTTSumNS += rtt
				tr.AnsweredBytes += frame
				tr.AnsweredData += int64(cfg.Payload)
				tr.HopsSum += hops + 1
				if r.Float64() < cfg.Dup {
					rep.t += 1000
					pk = append(pk, rep)
					tr.RepliesReceived++
					tr.Duplicates++
				}
			}
			t += 10_000_000
			// The peer pings the node, which answers after a short delay.
			delay := int64(20_000 + r.IntN(80_000))
			pk = append(pk, icmpPkt{t: t, src: peer, dst: cfg.Node, ttl: uint8(128 - hops), request: true, id: uint16(0x200 + i), seq: uint16(s), payload: cfg.Payload})
			pk = append(pk, icmpPkt{t: t + delay, src: cfg.Node, dst: peer, ttl: 64, id: uint16(0x200 + i), seq: uint16(s), payload: cfg.Payload})
			tr.RequestsReceived++
			tr.RepliesSent++
			tr.RequestBytesRecv += frame
			tr.RequestDataRecv += int64(cfg.Payload)
			tr.DelaySumNS += delay
			t += 10_000_000
		}
	}
	slices.SortStableFunc(pk, func(a, b icmpPkt) int { return int(a.t - b.t) })
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
