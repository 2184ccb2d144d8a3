package shard

import (
	"context"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestSeparateReads: with a read per range, each range's shard gets the
// same packets (count and timestamps) as from one read feeding all
// ranges, the observer still sees every packet once, and progress ends at
// the bytes of every read.
func TestSeparateReads(t *testing.T) {
	file := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	run := func(separate bool) ([3][]int64, int64, [2]int64) {
		var got [3][]int64
		var observed atomic.Int64
		var last [2]int64
		_, err := Run(context.Background(), Plan{File: file, K: 3, Jobs: 3, Ranges: 50, SeparateReads: separate,
			Observe:  func(gopacket.CaptureInfo) { observed.Add(1) },
			Progress: func(done, total int64) { last = [2]int64{done, total} },
			Shard: func(_ context.Context, id int, stdin io.Reader, _ *Out) error {
				r, err := pcapgo.NewReader(stdin)
				if err != nil {
					return err
				}
				for {
					_, ci, err := r.ReadPacketData()
					if err == io.EOF {
						return nil
					} else if err != nil {
						return err
					}
					got[id] = append(got[id], ci.Timestamp.UnixNano())
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return got, observed.Load(), last
	}
	one, obsOne, _ := run(false)
	sep, obsSep, prog := run(true)
	for id := range one {
		if len(one[id]) == 0 || len(one[id]) != len(sep[id]) {
			t.Fatalf("range %d: %d packets from one read, %d from its own", id, len(one[id]), len(sep[id]))
		}
		for i := range one[id] {
			if one[id][i] != sep[id][i] {
				t.Fatalf("range %d packet %d differs", id, i)
			}
		}
	}
	if obsOne == 0 || obsSep != obsOne {
		t.Errorf("observer saw %d packets with separate reads, %d with one", obsSep, obsOne)
	}
	if prog[0] != prog[1] || prog[1] == 0 {
		t.Errorf("progress ended at %d of %d", prog[0], prog[1])
	}
}
