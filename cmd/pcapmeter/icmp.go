package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
	"github.com/pcapmeter/pcapmeter/internal/input"
	"github.com/pcapmeter/pcapmeter/internal/ringjoin"
)

const icmpUsage = `pcapmeter icmp: ICMP echo (ping) metrics per node

Usage:
  pcapmeter icmp FILE... [flags]

Each FILE is a capture taken at one node (host); a quoted glob
('ring/node1_*.pcapng') is one node's capture cut into pieces (a ring
buffer), read as one in time order, so a request answered in the next
piece is answered. For each, the node's own
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
	groups       [][]string // each node's files, in argument order
	report       reportFlags
	percentiles  string
	jobs         int
}

// AddFlags declares the flags on fs.
func (o *icmpOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.nodes, "node", nil, "the capturing node's `IP`; once for all files or once per file, in order")
	fs.StringSliceVar(&o.names, "name", nil, "node `NAME`s in file order (default: from the file name, Node1.pcap -> \"Node 1\")")
	o.report.add(fs, "output `format`: text, json, csv or nssa (the NSSA-220 NodeStats layout)")
	fs.StringVar(&o.percentiles, "percentiles", "25,50,75,95,99", "nearest-rank RTT percentiles, comma separated")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.NumCPU(), "nodes measured at a time, one tshark each (same results)")
}

// options checks the flags and the arguments (the captures, one per node)
// and returns what icmpnode measures; an error is the user's to fix.
func (o *icmpOptions) options(args []string) (icmpnode.Options, error) {
	opt := icmpnode.Options{Tshark: o.report.tshark, Names: o.names, Jobs: o.jobs}
	if err := checkJobs(o.jobs); err != nil {
		return opt, err
	}
	var err error
	if o.groups, err = nodeGroups(args); err != nil {
		return opt, err
	}
	if len(o.groups) == 0 {
		return opt, errors.New("no capture file given")
	}
	for _, g := range o.groups {
		opt.Files = append(opt.Files, g...)
	}
	nfiles := len(o.groups)
	for _, s := range o.nodes {
		a, err := cli.ParseIP(s)
		if err != nil {
			return opt, err
		}
		opt.Nodes = append(opt.Nodes, a)
	}
	if len(opt.Nodes) > 1 && len(opt.Nodes) != nfiles {
		return opt, fmt.Errorf("%d --node values for %d files: give one for all, or one per file", len(opt.Nodes), nfiles)
	}
	if len(opt.Names) > nfiles {
		return opt, fmt.Errorf("%d --name values for %d files", len(opt.Names), nfiles)
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
	if o.report.stats {
		started := time.Now()
		defer func() { printStats(stderr, time.Since(started)) }()
	}
	set, out, code, ok := prepare(ctx, &x, opt.Files, true, stdout, o.report.output)
	if !ok {
		return code
	}
	defer set.Close()
	defer out.abort()
	caps, err := joinNodes(ctx, set, o.groups)
	defer func() {
		for _, c := range caps {
			c.Close()
		}
	}()
	if err != nil {
		return x.Failed(ctx, err)
	}
	opt.Files = nil
	for i, c := range caps {
		// A node is named after its (first) file as given, not its spool.
		if i >= len(opt.Names) {
			opt.Names = append(opt.Names, "")
		}
		if opt.Names[i] == "" {
			opt.Names[i] = icmpnode.NameFromFile(set.Name(c.Files[0]))
		}
		opt.Files = append(opt.Files, c.Path)
		for _, w := range c.Warnings {
			cli.Fail(stderr, x.Prog, "warning: "+w)
		}
	}
	bar := startBar(ctx, stderr, o.report.quiet, "reading capture")
	opt.Progress, opt.Packets = bar.BytesFunc(), bar.CountFunc("packets")
	res, err := icmpnode.Run(ctx, opt)
	bar.Stop()
	if err != nil {
		return x.Failed(ctx, err)
	}
	for i, n := range res {
		n.File = caps[i].Label()
		n.Partial = n.Partial || caps[i].Truncated
	}
	if err := writeReport(out.writer(o.report.output), func(w io.Writer) error {
		switch o.report.format {
		case "json":
			return report.ICMPJSON(w, res, jsonMeta(icmpVersion(res)))
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
	case errors.Is(err, icmpnode.ErrCutShort):
		return err.Error()
	case errors.Is(err, icmpnode.ErrNoEcho):
		return fmt.Sprintf("%v; is this a capture of ping traffic, and is --node right?", err)
	}
	return cli.Describe(err)
}

// nodeGroups expands each argument into its node's files: a pattern
// pcapmeter expands (quoted, so the shell did not) is one node's pieces;
// names the shell expanded arrive as one argument each, one node each.
func nodeGroups(args []string) ([][]string, error) {
	var out [][]string
	for _, a := range args {
		files, err := input.Expand([]string{a})
		if err != nil {
			return nil, err
		}
		out = append(out, files)
	}
	return out, nil
}

// joinNodes joins each node's pieces (set holds every file, in group
// order) into one capture per node.
func joinNodes(ctx context.Context, set *input.Set, groups [][]string) ([]*ringjoin.Capture, error) {
	paths := set.Paths()
	var caps []*ringjoin.Capture
	for _, g := range groups {
		c, err := ringjoin.Join(ctx, paths[:len(g)], set.Name)
		if err != nil {
			return caps, err
		}
		caps = append(caps, c)
		paths = paths[len(g):]
	}
	return caps, nil
}
