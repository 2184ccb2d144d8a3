// Command pcapsynth writes a deterministic synthetic HTTP/1.1 capture and
// its ground truth (FILE.truth.json). It is a developer tool: tests and
// benchmarks use it to make captures with known answers, including packet
// loss, reordering and capture gaps that loopback cannot produce.
//
//	pcapsynth -o big.pcapng -conns 2000 -per-conn 100
//	pcapsynth -scenario body-gaps -o testdata/http/synth-body-gaps.pcapng
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/synth"
)

func main() {
	cfg := synth.Default()
	out := flag.String("o", "", "capture file to write (required); truth goes to FILE.truth.json")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	flag.IntVar(&cfg.Conns, "conns", cfg.Conns, "TCP connections")
	flag.IntVar(&cfg.PerConn, "per-conn", cfg.PerConn, "HTTP exchanges per connection")
	flag.StringVar(&cfg.Dist, "dist", cfg.Dist, "server delay distribution: exp, lognormal, uniform, const")
	flag.DurationVar(&cfg.Mean, "mean", cfg.Mean, "mean (lognormal: median) server delay")
	flag.DurationVar(&cfg.RTT, "rtt", cfg.RTT, "round-trip time")
	flag.IntVar(&cfg.BodyMin, "body-min", cfg.BodyMin, "smallest response body, bytes")
	flag.IntVar(&cfg.BodyMax, "body-max", cfg.BodyMax, "largest response body, bytes")
	flag.IntVar(&cfg.Pipeline, "pipeline", cfg.Pipeline, "pipelining depth (1: none)")
	flag.BoolVar(&cfg.IPv6, "ipv6", cfg.IPv6, "IPv6 instead of IPv4")
	port := flag.Uint("port", uint(cfg.Port), "server port")
	flag.IntVar(&cfg.MSS, "mss", cfg.MSS, "maximum segment size")
	flag.Float64Var(&cfg.Loss, "loss", cfg.Loss, "probability that a data segment is lost once")
	flag.Float64Var(&cfg.Reorder, "reorder", cfg.Reorder, "probability that a server segment is reordered")
	flag.IntVar(&cfg.GapEvery, "gap-every", cfg.GapEvery, "drop every Nth response of a connection from the capture")
	flag.BoolVar(&cfg.Detail, "detail", false, "detailed truth: frames, missing bytes, verdict and reason per exchange, handshakes per connection")
	flag.Float64Var(&cfg.CaptureLoss, "capture-loss", 0, "probability that the capture misses a data segment or pure ACK (never retransmitted)")
	flag.StringVar(&cfg.Encap, "encap", "", "deliver frames as a mirror does: gre, erspan2 or erspan3")
	flag.Float64Var(&cfg.Tap, "tap", 0, "capture point on the path: 0 client host … 1 server host")
	flag.IntVar(&cfg.ReqPad, "req-pad", 0, "X-Pad header bytes per request (requests spanning segments)")
	flag.DurationVar(&cfg.StopAfter, "stop-after", 0, "end the capture this long after the first packet")
	flag.DurationVar(&cfg.SynRTO, "syn-rto", 0, "initial SYN retransmission timeout (default 1s)")
	flag.DurationVar(&cfg.SynAckRTO, "synack-rto", 0, "initial SYN/ACK retransmission timeout (default 1s)")
	flag.Func("event", "scripted impairment KIND:CONN:INDEX[:SEG[:N]] (repeatable; kinds: resp-drop, resp-seg-drop, resp-seg-lost, req-drop, req-seg-drop, reset; syn-lost:CONN:N, synack-lost:CONN:N)", func(v string) error {
		e, err := synth.ParseEvent(v)
		if err == nil {
			cfg.Events = append(cfg.Events, e)
		}
		return err
	})
	scenario := flag.String("scenario", "", "write the named imperfect-capture scenario (-list shows them); -o defaults to its testdata path")
	list := flag.Bool("list", false, "list the scenarios")
	pcap := flag.Bool("pcap", false, "write pcap (ns timestamps) instead of pcapng")
	noTruth := flag.Bool("no-truth", false, "do not write the truth file")
	icmpNode := flag.String("icmp-node", "", "write ICMP echo traffic seen at this node `IP` instead of HTTP (peers at 0, 1 and 3 routers; uses -seed, -per-conn pings each way, -loss)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `pcapsynth: write a deterministic synthetic capture and its truth (FILE.truth.json)

Examples:
  pcapsynth -o small.pcapng                                   # 4 connections x 25 exchanges
  pcapsynth -o lossy.pcapng -loss 0.05 -reorder 0.05 -pipeline 3
  pcapsynth -o gaps.pcap -pcap -ipv6 -gap-every 4             # responses missing from the capture
  pcapsynth -o big.pcapng -conns 7500 -per-conn 20 -no-truth  # ~590k packets, for benchmarks
  pcapsynth -o pings.pcap -icmp-node 192.168.100.1 -per-conn 12 -loss 0.1
  pcapsynth -o mirror.pcap -pcap -detail -capture-loss 0.05 -encap erspan2
  pcapsynth -o gap.pcapng -detail -event resp-seg-drop:0:3:1:2   # 2 body segments missing
  pcapsynth -scenario body-gaps                               # testdata/http/synth-body-gaps.pcapng

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *list {
		for _, sc := range synth.Scenarios() {
			fmt.Printf("%-18s testdata/%-36s %s\n", sc.Name, sc.File, sc.About)
		}
		return
	}
	if *scenario != "" {
		writeScenario(*scenario, *out, !*noTruth)
		return
	}
	if *icmpNode != "" && *out != "" {
		writeICMP(*out, *icmpNode, cfg, !*noTruth)
		return
	}
	if *out == "" || *port == 0 || *port > 65535 {
		flag.Usage()
		os.Exit(2)
	}
	cfg.Port = uint16(*port)
	cfg.PCAPNG = !*pcap
	start := time.Now()
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	truth, err := synth.Generate(cfg, f)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fail(err)
	}
	if !*noTruth {
		b, _ := json.MarshalIndent(truth, "", " ")
		if err := os.WriteFile(*out+".truth.json", append(b, '\n'), 0o644); err != nil {
			fail(err)
		}
	}
	fmt.Fprintf(os.Stderr, "pcapsynth: %s: %d packets, %d exchanges in %v\n", *out, truth.Packets, len(truth.Exchanges), time.Since(start).Round(time.Millisecond))
}

func writeICMP(out, node string, h synth.Config, truth bool) {
	n, err := netip.ParseAddr(node)
	if err != nil {
		fail(err)
	}
	cfg := synth.ICMPConfig{Seed: h.Seed, Node: n, PerPeer: h.PerConn, Payload: 56, Loss: h.Loss, Dup: h.Loss / 2, Start: h.Start}
	for i, hops := range []int{0, 1, 3} {
		var p netip.Addr
		if n.Is4() {
			p = netip.AddrFrom4([4]byte{10, byte(hops), 0, byte(10 + i)})
		} else {
			p = netip.MustParseAddr(fmt.Sprintf("fd00:%x::%x", hops, 10+i))
		}
		cfg.Peers, cfg.Hops = append(cfg.Peers, p), append(cfg.Hops, hops)
	}
	f, err := os.Create(out)
	if err != nil {
		fail(err)
	}
	tr, err := synth.GenerateICMP(cfg, f)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fail(err)
	}
	if truth {
		b, _ := json.MarshalIndent(tr, "", " ")
		if err := os.WriteFile(out+".truth.json", append(b, '\n'), 0o644); err != nil {
			fail(err)
		}
	}
	fmt.Fprintf(os.Stderr, "pcapsynth: %s: %d pings sent, %d received\n", out, tr.RequestsSent, tr.RequestsReceived)
}

func writeScenario(name, out string, truth bool) {
	sc, err := synth.FindScenario(name)
	if err != nil {
		fail(err)
	}
	if out == "" {
		out = "testdata/" + sc.File
	}
	f, err := os.Create(out)
	if err != nil {
		fail(err)
	}
	tr, err := sc.Generate(f)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fail(err)
	}
	if truth {
		b, _ := json.MarshalIndent(tr, "", " ")
		if err := os.WriteFile(out+".truth.json", append(b, '\n'), 0o644); err != nil {
			fail(err)
		}
	}
	what := ""
	switch t := tr.(type) {
	case *synth.Truth:
		what = fmt.Sprintf("%d packets, %d exchanges", t.Packets, len(t.Exchanges))
	case *synth.ICMPTruth:
		what = fmt.Sprintf("%d pings sent, %d ambiguous replies", t.RequestsSent, t.AmbiguousReplies)
	}
	fmt.Fprintf(os.Stderr, "pcapsynth: %s (%s): %s\n", out, strings.TrimSpace(name), what)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pcapsynth:", err)
	os.Exit(1)
}
