package shard

import "sync"

// FrameQueue holds what the splitter read of each packet a shard's tshark
// will print a row for, in frame order, until that row comes. The splitter
// pushes while the rows are read, and every entry has a row, so it holds
// about a pipe's worth of packets, not the capture.
type FrameQueue[T any] struct {
	mu   sync.Mutex
	q    []queued[T]
	head int
}

type queued[T any] struct {
	frame int64
	v     T
}

// Push queues v as frame's.
func (f *FrameQueue[T]) Push(frame int64, v T) {
	f.mu.Lock()
	// The taken front is dropped now and then, so that a long capture
	// does not keep every entry ever pushed.
	if f.head > 4096 && f.head > len(f.q)/2 {
		f.q = append(f.q[:0], f.q[f.head:]...)
		f.head = 0
	}
	f.q = append(f.q, queued[T]{frame, v})
	f.mu.Unlock()
}

// Front returns the frame of the oldest entry not taken; ok is false when
// there is none.
func (f *FrameQueue[T]) Front() (frame int64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.head == len(f.q) {
		return 0, false
	}
	return f.q[f.head].frame, true
}

// Take returns and removes the oldest entry if it is frame n's. Otherwise
// nothing is removed and front is the oldest entry's frame (ok false,
// queued false when the queue is empty), for the caller to say which
// side lacks its other half.
func (f *FrameQueue[T]) Take(n int64) (v T, front int64, queued, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.head == len(f.q) {
		return v, 0, false, false
	}
	e := f.q[f.head]
	if e.frame != n {
		return v, e.frame, true, false
	}
	f.head++
	return e.v, n, true, true
}
