// Package export is the analysis behind pcapmeter export: one row per
// packet, the columns of Wireshark's packet list or any tshark fields,
// streamed in capture order as tshark prints them. It owns the column
// choice, the checks before any output exists, the ISO 8601 time column
// and telling a display filter or field list tshark rejects (the user's
// to fix) from a failure; cmd only writes the CSV.
package export

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Columns is what each column of the export holds.
type Columns struct {
	Header []string // the titles
	Fields []string // the tshark field behind each
	// iso is the index of a column of epoch times printed as ISO 8601
	// instead, -1 for none.
	iso int
	// list says the columns are the packet list's, which tshark prints
	// as custom and built-in columns (listSpec).
	list bool
}

// packetList is Wireshark's default packet list; the Time column is
// filled according to the time format.
var packetList = []struct{ title, field string }{
	{"No.", "frame.number"}, {"Time", ""}, {"Source", "_ws.col.Source"}, {"Destination", "_ws.col.Destination"},
	{"Protocol", "_ws.col.Protocol"}, {"Length", "frame.len"}, {"Info", "_ws.col.Info"},
}

// PacketList returns the packet list's columns with the Time column as
// timeFmt says: relative (seconds since the first packet), epoch (Unix
// seconds) or iso (ISO 8601, UTC).
func PacketList(timeFmt string) (Columns, error) {
	c := Columns{iso: -1, list: true}
	for i, col := range packetList {
		f := col.field
		if f == "" {
			switch timeFmt {
			case "relative":
				f = "frame.time_relative"
			case "epoch":
				f = "frame.time_epoch"
			case "iso":
				f, c.iso = "frame.time_epoch", i
			default:
				return c, fmt.Errorf("invalid --time %q: give relative, epoch or iso", timeFmt)
			}
		}
		c.Header, c.Fields = append(c.Header, col.title), append(c.Fields, f)
	}
	return c, nil
}

// FieldColumns returns one column per tshark field, titled by its name.
// Only well-formed field names pass (they end up on tshark's command line).
func FieldColumns(fields []string) (Columns, error) {
	c := Columns{iso: -1}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if !tshark.ValidField(f) {
			return c, fmt.Errorf("invalid field name %q", f)
		}
		c.Header, c.Fields = append(c.Header, f), append(c.Fields, f)
	}
	return c, nil
}

// Options select what to export.
type Options struct {
	File    string
	Columns Columns
	// Filter is a tshark display filter selecting the packets; tshark
	// checks it.
	Filter string
	Tshark string
	// Jobs is how many tshark processes may run at a time (0 is 1).
	Jobs int
}

// RejectedError is tshark refusing the display filter or the field list
// before reading a packet, in tshark's words, which are the most useful
// ones.
type RejectedError struct{ Msg string }

func (e *RejectedError) Error() string { return e.Msg }

// Export is an export whose capture and tshark are checked, ready to run.
type Export struct {
	opt Options
	bin string
	// split (tests only) says the last Run was split; shardRows how
	// many rows each shard's tshark printed.
	split     bool
	shardRows []int64
	// shardPackets, if above 0, replaces shard.MaxPackets (tests).
	shardPackets int64
	progress     func(done, total int64)
}

// SetProgress has a split Run report the bytes of the file read (rows
// reach each only once every shard is dissected, so a row count alone
// would stand still until then).
func (e *Export) SetProgress(f func(done, total int64)) { e.progress = f }

// Prepare checks the capture and finds tshark, so that a bad input fails
// before the caller creates any output. A capture without packets is an
// empty export, not an error. tshark's version is checked by Run, beside
// the dissection, before the first row is handed on.
func Prepare(ctx context.Context, opt Options) (*Export, error) {
	if _, err := capfile.Sniff(opt.File); err != nil && !errors.Is(err, capfile.ErrEmpty) {
		return nil, err
	}
	bin, err := tshark.Locate(opt.Tshark)
	if err != nil {
		return nil, err
	}
	return &Export{opt: opt, bin: bin}, nil
}

// checked runs tshark's version check (a whole tshark start, ~0.15 s of
// CPU and more of wall on a busy machine) beside the dissection instead
// of before it: each is called only once the check passed, so that an
// unsupported tshark still leaves no row behind. wait gives the check's
// verdict, waiting for it.
func (e *Export) checked(ctx context.Context, each func(row []string) error) (func(row []string) error, func() error) {
	done := make(chan error, 1)
	go func() {
		_, err := dissect.Check(ctx, e.bin)
		done <- err
	}()
	var verdict error
	waited := false
	wait := func() error {
		if !waited {
			verdict, waited = <-done, true
		}
		return verdict
	}
	return func(row []string) error {
		if !waited {
			if err := wait(); err != nil {
				return err
			}
		}
		return each(row)
	}, wait
}

// Run calls each with every selected packet's row, one value per column
// ("" where tshark had none), in capture order; the row is reused from
// call to call. truncated is true when the capture is cut short in the
// middle of a packet (every row before the cut was delivered). A filter
// or field list tshark refuses is a *RejectedError.
//
// A capture of more than about a million packets (or of a few hundred
// thousand, with Jobs above 1) is split by TCP connection and address
// pair (split.go) when the columns and filter allow it exactly; the rows
// are the same, in the same order.
func (e *Export) Run(ctx context.Context, each func(row []string) error) (truncated bool, err error) {
	each, wait := e.checked(ctx, each)
	truncated, err = e.run(ctx, each)
	// An unsupported tshark explains whatever the dissection ran into;
	// a check that only timed out never hides the dissection's error.
	if err := tshark.Verdict(wait(), err); err != nil {
		return false, err
	}
	return truncated, nil
}

// run is Run once the version check is under way.
func (e *Export) run(ctx context.Context, each func(row []string) error) (truncated bool, err error) {
	if e.splittable() {
		if est, err := shard.EstimatePackets(e.opt.File); err == nil {
			jobs := max(1, e.opt.Jobs)
			if k := shard.Count(jobs, est, e.perShard(), minShardPackets); k > 1 {
				truncated, err := e.runSplit(ctx, k, jobs, each)
				if e.split = err == nil; !errors.Is(err, errFallback) || ctx.Err() != nil {
					return truncated, err
				}
			}
		}
	}
	spec := tshark.Spec{Input: e.opt.File, Fields: e.opt.Columns.Fields, Mode: tshark.Fields, DisplayFilter: e.opt.Filter}
	list := e.opt.Columns.list
	if list {
		spec = listSpec(spec)
	}
	truncated, err = dissect.Run(ctx, e.bin, spec, dissect.Same[[]string], func(rowp *[]string) error {
		if list {
			unpad(*rowp)
		}
		return e.emit(*rowp, each)
	})
	var ee *tshark.ExitError
	if err != nil && ctx.Err() == nil && errors.As(err, &ee) && (ee.Code == 1 || ee.Code == 2) {
		// tshark refuses bad filters (status 2) and field names (status
		// 1) before reading a packet, and says why.
		if msg, ok := rejection(ee.Stderr, e.opt.Filter); ok {
			return false, &RejectedError{Msg: msg}
		}
	}
	return truncated, err
}

// listSpec has tshark print the packet list as columns instead of
// -T fields: the same text (checked on every shared capture and the bench
// capture) at less than half tshark's CPU, since it builds no protocol
// tree to print. tshark pads Source and Destination and puts an arrow
// between them when they are neighbours (tshark.BuiltinColumns), so it is
// given Protocol between them; unpad puts the rows back.
func listSpec(spec tshark.Spec) tshark.Spec {
	// The packet list's Source, Destination and Protocol are columns 2-4.
	spec.Fields = slices.Clone(spec.Fields)
	spec.Fields[3], spec.Fields[4] = spec.Fields[4], spec.Fields[3]
	spec.Mode = tshark.Columns
	return spec
}

// unpad turns a row tshark printed by listSpec into the packet list's.
func unpad(r []string) {
	r[2], r[3], r[4] = strings.TrimLeft(r[2], " "), strings.TrimRight(r[4], " "), r[3]
}

// emit hands one row to each, the ISO column converted.
func (e *Export) emit(row []string, each func(row []string) error) error {
	if iso := e.opt.Columns.iso; iso >= 0 && row[iso] != "" {
		t, err := parse.ParseTime(row[iso])
		if err != nil {
			return err
		}
		row[iso] = t.RFC3339()
	}
	return each(row)
}

// rejection turns tshark's complaint about a display filter or field list
// into one line, and reports whether it was one.
func rejection(stderr, filter string) (string, bool) {
	msg := dissect.Complaint(stderr, filter)
	switch {
	case strings.Contains(msg, "fields aren't valid"):
		return "tshark rejected --fields: " + msg + "; `tshark -G fields` lists the valid names", true
	case filter != "" && msg != "":
		return fmt.Sprintf("tshark rejected --filter %q: %s", filter, msg), true
	}
	return "", false
}
