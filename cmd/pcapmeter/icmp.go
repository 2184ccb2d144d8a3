package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
	"github.com/pcapmeter/pcapmeter/internal/input"
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

// icmpOptions are pcapmeter icmp's flags as the user gave them.
type icmpOptions struct {
	nodes, names []string
	report       reportFlags
	percentiles  string
}

// AddFlags declares the flags on fs.
func (o *icmpOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.nodes, "node", nil, "the capturing node's `IP`; once for all files or once per file, in order")
	fs.StringSliceVar(&o.names, "name", nil, "node `NAME`s in file order (default: from the file name, Node1.pcap -> \"Node 1\")")
	o.report.add(fs, "output `format`: text, json, csv or nssa (the NSSA-220 NodeStats layout)")
	fs.StringVar(&o.percentiles, "percentiles", "25,50,75,95,99", "nearest-rank RTT percentiles, comma separated")
}

// options checks the flags and the arguments (the captures, one per node)
// and returns what icmpnode measures; an error is the user's to fix.
func (o *icmpOptions) options(args []string) (icmpnode.Options, error) {
	opt := icmpnode.Options{Tshark: o.report.tshark, Names: o.names}
	var err error
	if opt.Files, err = input.Expand(args); err != nil {
		return opt, err
	}
	if len(opt.Files) == 0 {
		return opt, errors.New("no capture file given")
	}
	for _, s := range o.nodes {
		a, err := cli.ParseIP(s)
		if err != nil {
			return opt, err
		}
		opt.Nodes = append(opt.Nodes, a)
	}
	if len(opt.Nodes) > 1 && len(opt.Nodes) != len(opt.Files) {
		return opt, fmt.Errorf("%d --node values for %d files: give one for all, or one per file", len(opt.Nodes), len(opt.Files))
	}
	if len(opt.Names) > len(opt.Files) {
		return opt, fmt.Errorf("%d --name values for %d files", len(opt.Names), len(opt.Files))
	}
	if opt.Percentiles, err = cli.ParsePercentiles(o.percentiles); err != nil {
		return opt, err
	}
	return opt, cli.OneOf("format", o.report.format, "text", "json", "csv", "nssa")
}

func runICMP(args []string, stdout, stderr io.Writer) int {
	x := cli.Exit{Prog: "pcapmeter icmp", Stderr: stderr, Explain: explainICMP}
	var o icmpOptions
	opt, code, done := parseCommand[icmpnode.Options](x, &o, args, stdout, icmpUsage)
	if done {
		return code
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	set, out, code, ok := prepare(ctx, &x, opt.Files, true, stdout, o.report.output)
	if !ok {
		return code
	}
	defer set.Close()
	defer out.abort()
	for i, c := range set.Captures {
		// A node is named after its file as given, not its spool.
		if i >= len(opt.Names) {
			opt.Names = append(opt.Names, "")
		}
		if opt.Names[i] == "" {
			opt.Names[i] = icmpnode.NameFromFile(c.Arg)
		}
	}
	opt.Files = set.Paths()
	bar := startBar(ctx, stderr, o.report.quiet, "reading capture")
	opt.Progress = bar.BytesFunc()
	res, err := icmpnode.Run(ctx, opt)
	bar.Stop()
	if err != nil {
		return x.Failed(ctx, err)
	}
	for _, n := range res {
		n.File = set.Name(n.File)
	}
	if err := writeReport(out.writer(o.report.output), func(w io.Writer) error {
		switch o.report.format {
		case "json":
			return report.ICMPJSON(w, res, jsonMeta(ctx, o.report.tshark))
		case "csv":
			return report.ICMPCSV(w, res)
		case "nssa":
			return report.NSSA(w, res)
		}
		report.ICMPText(w, res)
		return nil
	}); err != nil {
		return x.Failed(ctx, err)
	}
	if err := out.commit(); err != nil {
		return x.Failed(ctx, err)
	}
	var partial []string
	for _, n := range res {
		if n.Partial {
			partial = append(partial, n.File)
		}
	}
	return x.Finished(len(partial) > 0, "cut short in the middle of a packet: "+strings.Join(partial, ", "))
}

func explainICMP(err error) string {
	switch {
	case errors.Is(err, icmpnode.ErrAmbiguous):
		return err.Error()
	case errors.Is(err, icmpnode.ErrNoEcho):
		return fmt.Sprintf("%v; is this a capture of ping traffic, and is --node right?", err)
	}
	return cli.Describe(err)
}
