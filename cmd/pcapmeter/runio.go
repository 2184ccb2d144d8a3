package main

import (
	"context"
	"errors"
	"io"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/internal/input"
	"github.com/pcapmeter/pcapmeter/internal/outfile"
)

// outputs are the files a run writes (report, plot, profiles), each
// prepared before tshark starts so that an output that is an input, two
// outputs that are one file, or an unwritable destination are refused
// before any work, and replaced only on commit: a failed run leaves
// every existing file as it was.
type outputs struct {
	stdout io.Writer
	files  map[string]*outfile.File
	order  []string
}

// openOutputs prepares paths ("" and "-" are standard output) for a run
// reading inputs (input.Set.Args).
func openOutputs(inputs []string, stdout io.Writer, paths ...string) (*outputs, error) {
	if err := outfile.Distinct(paths...); err != nil {
		return nil, err
	}
	o := &outputs{stdout: stdout, files: map[string]*outfile.File{}}
	for _, p := range paths {
		if p == "" || p == "-" {
			if err := outfile.Check("-", inputs); err != nil {
				o.abort()
				return nil, err
			}
			continue
		}
		f, err := outfile.Create(p, inputs)
		if err != nil {
			o.abort()
			return nil, err
		}
		o.files[p] = f
		o.order = append(o.order, p)
	}
	return o, nil
}

// writer is where to write path's content: its replacement, or stdout.
func (o *outputs) writer(path string) io.Writer {
	if f := o.files[path]; f != nil {
		return f
	}
	return o.stdout
}

// hold keeps path out of commit, for an output made once the report is
// in place (a plot): its replacement stays open until put.
func (o *outputs) hold(path string) {
	for i, p := range o.order {
		if p == path {
			o.order = append(o.order[:i:i], o.order[i+1:]...)
			return
		}
	}
}

// put writes what encode makes as held path's content and puts it in
// place, so a plot is replaced like a report: whole or not at all (a
// picture that fails to draw or to be written leaves an existing one as
// it was).
func (o *outputs) put(path string, encode func() ([]byte, error)) error {
	f := o.files[path]
	if f == nil {
		return errors.New("not prepared as an output")
	}
	b, err := encode()
	if err == nil {
		_, err = f.Write(b)
	}
	if err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// commit puts every output in place; the first failure is returned and
// the outputs not yet committed are left as they were.
func (o *outputs) commit() error {
	for _, p := range o.order {
		if f := o.files[p]; f != nil {
			if err := f.Commit(); err != nil {
				o.abort()
				return err
			}
		}
	}
	return nil
}

// abort discards every output not committed; after commit it does nothing.
func (o *outputs) abort() {
	for _, f := range o.files {
		f.Abort()
	}
}

// prepare starts a run whose flags are checked: it reads the capture
// arguments (input.Resolve, or input.Open when one capture may serve
// twice) once the signal context exists, so that a FIFO whose writer
// never writes ends on Ctrl-C, then prepares the outputs. It sets
// x.Inputs so that messages name captures as given. ok false means the run
// is over with code; otherwise the caller closes set and aborts out.
func prepare(ctx context.Context, x *cli.Exit, args []string, allowTwice bool, stdout io.Writer, paths ...string) (set *input.Set, out *outputs, code int, ok bool) {
	files, err := input.Expand(args)
	if err != nil {
		return nil, nil, x.Usage(err.Error()), false
	}
	if allowTwice {
		set, err = input.Open(ctx, files)
	} else {
		set, err = input.Resolve(ctx, files)
	}
	var dup *input.DuplicateError
	switch {
	case err != nil && ctx.Err() == nil && errors.As(err, &dup):
		return nil, nil, x.Usage(err.Error()), false
	case err != nil:
		return nil, nil, x.Failed(ctx, err), false
	}
	x.Inputs = set
	if out, err = openOutputs(set.Args(), stdout, paths...); err != nil {
		set.Close()
		return nil, nil, x.Failed(ctx, err), false
	}
	return set, out, 0, true
}

// namedSink passes exchanges to sink (nil: none) with each capture named
// as given: a spooled FIFO or standard input is read from /proc/PID/fd/N,
// a name that means nothing once the run is over.
func namedSink(set *input.Set, sink func(string, *exchange.Exchange) error) func(string, *exchange.Exchange) error {
	if sink == nil {
		return nil
	}
	return func(file string, e *exchange.Exchange) error { return sink(set.Name(file), e) }
}

// nameResult names res's captures as given, in its file list and in its
// warnings (which quote the path tshark read).
func nameResult(set *input.Set, res *httplat.Result) {
	if res == nil {
		return
	}
	for i := range res.Files {
		res.Files[i].Path = set.Name(res.Files[i].Path)
	}
	for i, w := range res.Warnings {
		res.Warnings[i] = set.Rename(w)
	}
}
