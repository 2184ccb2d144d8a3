package shard

import (
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestFrameProgress: frame numbers map onto the file's size, never past
// it, the packets read are the frame number, and no callback means no
// work.
func TestFrameProgress(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testutil.Root(), "testdata", "http", "keepalive-v4.pcapng")
	if FrameProgress(path, nil, nil) != nil {
		t.Error("a nil report gives a callback")
	}
	var done, total, packets int64
	on := FrameProgress(path, func(d, t int64) { done, total = d, t }, func(n int64) { packets = n })
	if on == nil {
		t.Fatal("no callback for a readable capture")
	}
	on(1)
	if done <= 0 || done >= total {
		t.Errorf("frame 1: %d of %d", done, total)
	}
	on(1 << 40)
	if done != total || packets != 1<<40 {
		t.Errorf("past the estimate: %d of %d, %d packets", done, total, packets)
	}
}
