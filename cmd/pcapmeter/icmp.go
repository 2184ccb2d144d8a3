package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
)

const icmpUsage = `pcapmeter icmp: ICMP echo (ping) metrics per node

Usage:
  pcapmeter icmp FILE... [flags]

Each FILE is a capture taken at one node (host). For each, the node's own
address is detected (the address in the most echo packets; ties broken by
which one sends with an undecremented TTL) or given with --node, and the
node's pings are measured: requests and replies sent and received, bytes and
payload, average RTT, request throughput and goodput, reply delay, hop count,
plus loss, duplicates, RTT percentiles and a per-peer breakdown.

Examples:
  pcapmeter icmp Node1.pcap Node2.pcap Node3.pcap Node4.pcap
  pcapmeter icmp --format nssa Node*.pcap > NodeStats.csv
  pcapmeter icmp --node 192.168.100.1 capture.pcapng --format json

Flags:
`

func runICMP(args []string, stdout, stderr io.Writer) int {
	const prog = "pcapmeter icmp"
	fs := newFlags(prog)
	nodes := fs.StringSlice("node", nil, "the capturing node's `IP`; once for all files or once per file, in order")
	names := fs.StringSlice("name", nil, "node `NAME`s in file order (default: from the file name, Node1.pcap -> \"Node 1\")")
	format := fs.StringP("format", "f", "text", "output `format`: text, json, csv or nssa (the NSSA-220 NodeStats layout)")
	output := fs.StringP("output", "o", "", "write the report to `FILE` instead of stdout")
	percentiles := fs.String("percentiles", "25,50,75,95,99", "nearest-rank RTT percentiles, comma separated")
	tsharkPath := fs.String("tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	if code, done := parseFlags(fs, args, stdout, stderr, icmpUsage); done {
		return code
	}
	usageErr := func(msg string) int { return usageError(stderr, prog, msg) }
	files, err := cli.ExpandFiles(fs.Args())
	if err != nil {
		return usageErr(err.Error())
	}
	opt := icmpnode.Options{Files: files, Tshark: *tsharkPath, Names: *names}
	if len(opt.Files) == 0 {
		return usageErr("no capture file given")
	}
	for _, s := range *nodes {
		a, err := cli.ParseIP(s)
		if err != nil {
			return usageErr(err.Error())
		}
		opt.Nodes = append(opt.Nodes, a)
	}
	if len(opt.Nodes) > 1 && len(opt.Nodes) != len(opt.Files) {
		return usageErr(fmt.Sprintf("%d --node values for %d files: give one for all, or one per file", len(opt.Nodes), len(opt.Files)))
	}
	if len(opt.Names) > len(opt.Files) {
		return usageErr(fmt.Sprintf("%d --name values for %d files", len(opt.Names), len(opt.Files)))
	}
	if opt.Percentiles, err = cli.ParsePercentiles(*percentiles); err != nil {
		return usageErr(err.Error())
	}
	switch *format {
	case "text", "json", "csv", "nssa":
	default:
		return usageErr(fmt.Sprintf("invalid --format %q: give text, json, csv or nssa", *format))
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	res, err := icmpnode.Run(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			cli.Fail(stderr, prog, "interrupted; tshark stopped, no report")
			return cli.ExitInterrupted
		}
		cli.Fail(stderr, prog, describeICMP(err))
		return cli.ExitError
	}
	werr := writeReport(*output, stdout, func(w io.Writer) error {
		switch *format {
		case "json":
			return report.ICMPJSON(w, res)
		case "csv":
			return report.ICMPCSV(w, res)
		case "nssa":
			return report.NSSA(w, res)
		}
		report.ICMPText(w, res)
		return nil
	})
	if werr != nil {
		cli.Fail(stderr, prog, cli.Describe(werr))
		return cli.ExitError
	}
	var partial []string
	for _, n := range res {
		if n.Partial {
			partial = append(partial, n.File)
		}
	}
	if len(partial) > 0 {
		cli.Fail(stderr, prog, "partial result: cut short in the middle of a packet: "+strings.Join(partial, ", "))
		return cli.ExitPartial
	}
	return cli.ExitOK
}

func describeICMP(err error) string {
	switch {
	case errors.Is(err, icmpnode.ErrAmbiguous):
		return err.Error()
	case errors.Is(err, icmpnode.ErrNoEcho):
		return fmt.Sprintf("%v; is this a capture of ping traffic, and is --node right?", err)
	}
	return cli.Describe(err)
}
