package dissect

import (
	"context"
	"fmt"
	"sync"

	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Skips counts the rows a lenient run left out: rows real tshark printed
// for a packet whose values pcapmeter's conversion cannot read (an HPACK
// oddity once made a whole HTTP/2 run fail on one frame). One such frame
// must not cost the whole report; it is left out, counted, and the
// report says so. Safe for shards running at the same time.
type Skips struct {
	mu    sync.Mutex
	n     int
	good  int
	first string
}

// Count is how many rows were left out, and the first one's complaint.
func (s *Skips) Count() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n, s.first
}

// Add counts other's rows into s (a split that succeeded, say).
func (s *Skips) Add(other *Skips) {
	n, first := other.Count()
	other.mu.Lock()
	good := other.good
	other.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == "" {
		s.first = first
	}
	s.n += n
	s.good += good
}

func (s *Skips) add(ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.good++
		return
	}
	if s.n++; s.first == "" {
		s.first = err.Error()
	}
}

// tooMany says the rows left out are not the odd frame of a real capture
// but output that is not what was asked for: more bad rows than good.
func (s *Skips) tooMany() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n > 0 && s.n > s.good
}

// RunLenient is Run, except that a row whose conversion fails is left
// out and counted in skips instead of stopping the run. When more rows
// fail than convert (a tshark that is not one, a wrong column list), it
// fails as Run does, with the first complaint. A nil skips is Run.
func RunLenient[R, T any](ctx context.Context, bin string, spec tshark.Spec, convert func(*R) (T, error), each func(*T) error, skips *Skips) (bool, error) {
	if skips == nil {
		return Run(ctx, bin, spec, convert, each)
	}
	skip := false
	conv := func(r *R) (T, error) {
		v, err := convert(r)
		skips.add(err == nil, err)
		skip = err != nil
		return v, nil
	}
	truncated, err := Run(ctx, bin, spec, conv, func(v *T) error {
		if skip {
			return nil
		}
		return each(v)
	})
	if err == nil && skips.tooMany() {
		_, first := skips.Count()
		return truncated, fmt.Errorf("%s: %w", inputName(spec.Input), &parse.FormatError{Msg: first})
	}
	return truncated, err
}
