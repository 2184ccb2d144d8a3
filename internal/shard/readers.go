package shard

import (
	"context"
	"errors"
	"sync"
)

// separate is a pass of shards from..to-1 with a read of the file each,
// all at once (Plan.SeparateReads). Packets of the other shards are
// skipped by each read, and a read for a range (but the last) ends after
// the range's last packet. Only the pass's last read, the one that gets
// furthest, shows packets to the observer (which keeps it reading the
// whole file) and counts them. Progress counts the bytes of every read,
// a read ended early as if it had read the file.
func (p *Plan) separate(ctx context.Context, from, to int, pass, passes, size int64, m mode) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := to - from
	var mu sync.Mutex
	done := make([]int64, n)
	cuts := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		var progress func(int64)
		if p.Progress != nil {
			progress = func(b int64) {
				mu.Lock()
				defer mu.Unlock()
				done[i] = b
				var sum int64
				for _, d := range done {
					sum += d
				}
				total := size * passes * int64(n)
				p.Progress(size*pass*int64(n)+sum, total)
			}
		}
		mi := m
		if i < n-1 {
			mi.observe, mi.packets = nil, nil
		}
		if id := from + i; m.ranges > 0 && id < p.K-1 && mi.observe == nil {
			mi.stopAfter = int64(id+1) * m.ranges
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cuts[i], errs[i] = p.pass(ctx, from+i, from+i+1, progress, mi); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, ErrUnsupported) {
			return false, err
		}
	}
	// A read's own error says more than the cancellation it caused.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return false, err
		}
	}
	for _, err := range errs {
		if err != nil {
			return false, err
		}
	}
	cut := false
	for _, c := range cuts {
		cut = cut || c
	}
	return cut, nil
}
