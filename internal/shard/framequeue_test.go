package shard

import "testing"

// TestFrameQueue pushes past the compaction point while taking, as the
// splitter and a shard's rows do, and checks every entry comes out once,
// in order, and that a row whose frame is not at the front takes nothing.
func TestFrameQueue(t *testing.T) {
	var q FrameQueue[int]
	if _, _, queued, _ := q.Take(1); queued {
		t.Fatal("empty queue: Take says something is queued")
	}
	next := int64(1)
	for frame := int64(1); frame <= 19998; frame++ {
		q.Push(frame, int(frame)*10)
		if frame%3 != 0 {
			continue
		}
		for ; next <= frame; next++ {
			if _, front, queued, ok := q.Take(next + 1); ok || !queued || front != next {
				t.Fatalf("Take(%d) with %d in front: ok %v queued %v front %d", next+1, next, ok, queued, front)
			}
			v, _, _, ok := q.Take(next)
			if !ok || v != int(next)*10 {
				t.Fatalf("Take(%d) = %d, %v", next, v, ok)
			}
		}
	}
	if f, ok := q.Front(); ok {
		t.Fatalf("Front after taking all = %d", f)
	}
	if len(q.q) > 8192 {
		t.Fatalf("the taken front was never dropped: %d entries held", len(q.q))
	}
}
