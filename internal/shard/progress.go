package shard

import "os"

// FrameProgress turns the frame numbers tshark reports while it reads path
// into bytes-read progress for report (done of total, the file's size):
// analyses that run one tshark over the whole file have no byte counter of
// their own, but each row carries its frame number, and EstimatePackets
// says about how many there are. It returns nil (no progress) when report
// is nil or the file cannot be estimated, so callers test for nil once.
// packets, if set, is told the frame number itself (the packets read so
// far) every 1024 frames.
func FrameProgress(path string, report func(done, total int64), packets func(n int64)) func(frame int64) {
	if report == nil {
		return nil
	}
	est, err := EstimatePackets(path)
	st, serr := os.Stat(path)
	if err != nil || serr != nil || est <= 0 {
		return nil
	}
	size := st.Size()
	return func(frame int64) {
		report(min(size, size*frame/est), size)
		if packets != nil && frame&0x3ff == 0 {
			packets(frame)
		}
	}
}

// MaxPackets bounds, roughly, how many packets one tshark holds (its
// memory grows ~0.65 kB per packet over a ~160 MB base): the shard size
// every sharded analysis gives Count.
const MaxPackets = 1_000_000

// MinPackets is the fewest estimated packets worth a tshark of their own
// (one costs ~0.3 s and ~160 MB to start): Count's minPer outside tests.
const MinPackets = 100_000

// Count sizes a split to the work: as many shards as the memory bound
// needs (perShard packets each at most, of est estimated), and more only
// up to jobs and only while each keeps minPer packets (a tshark costs
// ~0.3 s to start and ~160 MB; minPer 0 allows jobs shards whatever the
// size, for tests).
func Count(jobs int, est, perShard, minPer int64) int {
	need := int((est + perShard - 1) / perShard)
	worth := jobs
	if minPer > 0 {
		worth = min(jobs, int(est/minPer))
	}
	return max(1, need, worth)
}
