package icmpnode

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// shardPackets bounds, roughly, how many packets one tshark holds: a
// larger capture is cut into ranges of about this many consecutive
// packets; minShardPackets is the fewest estimated packets worth a tshark
// of their own. Tests lower them to cut small captures into --jobs ranges.
var shardPackets, minShardPackets int64 = icmpShardPackets, shard.MinPackets

// spilledRanges counts the ranges spilled (tests check that a capture
// was cut).
var spilledRanges atomic.Int64

// icmpShardPackets is the ICMP range size, below shard.MaxPackets: an
// ICMP-only capture needs no TCP state, so tshark's memory is mostly its
// fixed ~300 MB base plus ~0.2 kB per packet, and ranges of 1M packets
// (2 for a 2M-packet capture) peaked at 514 MB against 404 MB for one
// tshark over 500k packets (1.27×, issue 13's bound is 1.25×); 3 ranges of
// 690k keep it under, for one more tshark start (~0.3 s).
const icmpShardPackets = 750_000

// rowMode is how tshark prints the rows: custom columns, about twice as
// cheap for tshark as -T fields with the same values (ICMPv6 types by
// name, identifiers with their hex form, which are only compared).
const rowMode = tshark.Columns

func parseFrame(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func newCollector() *collector {
	return &collector{pending: map[key]*pending{}, pairs: map[[2]netip.Addr]*pair{}, addrs: map[netip.Addr]*addrStat{}, swept: -1 << 62}
}

// collectEchoes feeds c every echo row of file in file order. An echo row
// depends on its own packet only (pairing is the collector's), so the
// file goes through the splitter without its TCP packets (the bulk of
// most captures, which tshark would dissect for nothing) in ranges of
// consecutive packets, jobs at a time; rows of the first range go to c as
// they come, later ranges' wait in unnamed temporary files and follow in
// order. A file the splitter cannot read is dissected by one tshark.
func collectEchoes(ctx context.Context, bin, file string, jobs int, progress meter, c *collector) (bool, error) {
	est, err := shard.EstimatePackets(file)
	if err == nil {
		k := shard.Count(jobs, est, shardPackets, minShardPackets)
		per := (est + int64(k) - 1) / int64(k)
		truncated, err := collectSplit(ctx, bin, file, k, jobs, per, true, progress, c)
		if errors.Is(err, errNotPlain) && ctx.Err() == nil {
			// An echo the headers do not give: the full rows, still split.
			fullReads.Add(1)
			*c = *newCollector()
			truncated, err = collectSplit(ctx, bin, file, k, jobs, per, false, progress, c)
		}
		if !errors.Is(err, shard.ErrUnsupported) || ctx.Err() != nil {
			return truncated, err
		}
		*c = *newCollector()
	}
	return collectWhole(ctx, bin, file, progress, c)
}

// meter is where a file's read reports its progress: bytes read (done of
// total) and packets read, either nil.
type meter struct {
	bytes   func(done, total int64)
	packets func(n int64)
}

// collectWhole is collectEchoes by one tshark over the file.
func collectWhole(ctx context.Context, bin, file string, progress meter, c *collector) (bool, error) {
	spec := tshark.Spec{Input: file, Fields: Fields, Mode: rowMode, DisplayFilter: DisplayFilter}
	convert := toEcho
	if onFrame := shard.FrameProgress(file, progress.bytes, progress.packets); onFrame != nil {
		convert = func(r *Row) (echoRow, error) {
			if n, err := parseFrame(r.Frame); err == nil {
				onFrame(n)
			}
			return toEcho(r)
		}
	}
	return dissect.Run(ctx, bin, spec, convert, func(e *echoRow) error {
		c.take(e)
		return nil
	})
}

// take counts one row.
func (c *collector) take(e *echoRow) {
	if e.notEcho {
		c.errors++
		return
	}
	c.add(&e.echo)
}

// collectSplit is collectEchoes through the splitter in k ranges of per
// packets; join has tshark print only what the headers do not give
// (join.go), which fails with errNotPlain on a capture that needs more.
func collectSplit(ctx context.Context, bin, file string, k, jobs int, per int64, join bool, progress meter, c *collector) (bool, error) {
	o := &ordered{c: c, spills: make([]*os.File, k), done: make([]bool, k)}
	defer o.close()
	queues := make([]*headQueue, k)
	var watch func(id int) shard.Watcher
	if join {
		watch = func(id int) shard.Watcher {
			queues[id] = &headQueue{}
			return queues[id].watch
		}
	}
	rows := func(ctx context.Context, id int, stdin io.Reader, sink func(*echoRow) error) error {
		if join {
			return joinRows(ctx, bin, stdin, queues[id], sink)
		}
		spec := tshark.Spec{Input: "-", Stdin: stdin, Fields: Fields, Mode: rowMode, DisplayFilter: DisplayFilter}
		_, err := dissect.Run(ctx, bin, spec, toEcho, sink)
		return err
	}
	truncated, err := shard.Run(ctx, shard.Plan{File: file, K: k, Jobs: jobs, Ranges: per, SkipTCP: true, NoFrames: true, Progress: progress.bytes, Packets: progress.packets, Watch: watch, Pipe: shard.GrowPipe, SeparateReads: true,
		Shard: func(ctx context.Context, id int, stdin io.Reader, _ *shard.Out) error {
			defer func() { queues[id] = nil }()
			if o.direct(id) {
				if err := o.replay(id); err != nil {
					return err
				}
				if err := rows(ctx, id, stdin, func(e *echoRow) error {
					c.take(e)
					return nil
				}); err != nil {
					return err
				}
				o.replayed = id + 1
				o.finished(id)
				return nil
			}
			f, err := tmpfile.New("")
			if err != nil {
				return fmt.Errorf("spilling echo rows: %w", err)
			}
			o.spills[id] = f
			spilledRanges.Add(1)
			bw := bufio.NewWriter(f)
			enc := gob.NewEncoder(bw)
			if err := rows(ctx, id, stdin, func(e *echoRow) error {
				return enc.Encode(spilled{E: e.echo, NotEcho: e.notEcho})
			}); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			o.finished(id)
			return nil
		}})
	if err != nil {
		return false, err
	}
	return truncated, o.replay(k)
}

// ordered gives the collector the ranges' rows in file order. A range
// whose every predecessor has finished when it starts (range 0, and
// every range of --jobs 1, whose ranges run one after another) gives its
// rows to the collector as they come, after the spills before it; a
// range running beside an earlier one spills its rows to an unnamed
// temporary file, replayed in order once the ranges before it are in.
// On the 2M-packet bench capture at --jobs 1 the spills (gob out and
// back, then a replay after the last tshark) were ~1.5 s of pcapmeter's
// CPU on the run's critical path.
type ordered struct {
	c        *collector
	mu       sync.Mutex
	spills   []*os.File
	done     []bool // the range's rows are all spilled or taken
	replayed int    // the ranges before this one are in the collector
}

// direct says whether range id may give its rows to the collector
// itself: every range before it has finished. No other range can then be
// direct before id has finished too, so one range at a time touches the
// collector and replayed.
func (o *ordered) direct(id int) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.done[:id] {
		if !d {
			return false
		}
	}
	return true
}

// finished marks range id's rows all spilled or taken.
func (o *ordered) finished(id int) {
	o.mu.Lock()
	o.done[id] = true
	o.mu.Unlock()
}

// replay gives the collector the spilled ranges before range upTo not
// yet given, in order (all finished), closing their files.
func (o *ordered) replay(upTo int) error {
	for ; o.replayed < upTo; o.replayed++ {
		if f := o.spills[o.replayed]; f != nil {
			if err := replay(f, o.c); err != nil {
				return fmt.Errorf("reading back echo rows: %w", err)
			}
			f.Close()
			o.spills[o.replayed] = nil
		}
	}
	return nil
}

func (o *ordered) close() {
	for _, f := range o.spills {
		if f != nil {
			f.Close()
		}
	}
}

// fullReads counts captures the joined path handed back to the full rows
// (tests check which do).
var fullReads atomic.Int64

// spilled is an echo row in a spill file.
type spilled struct {
	E       Echo
	NotEcho bool
}

// replay feeds c the rows spilled in f.
func replay(f *os.File, c *collector) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := gob.NewDecoder(bufio.NewReader(f))
	for {
		var s spilled
		if err := dec.Decode(&s); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		c.take(&echoRow{echo: s.E, notEcho: s.NotEcho})
	}
}
