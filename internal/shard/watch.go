package shard

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Watcher sees one packet as it is written to a shard: frame is its
// number in the shard (what the shard's tshark calls frame.number), link
// the capture's link type. data is the splitter's buffer, valid only
// during the call. ICMP echo analysis (internal/icmpnode) reads the echo
// header here, so that tshark prints only what it alone knows.
type Watcher func(frame int64, link layers.LinkType, ci gopacket.CaptureInfo, data []byte)

// FrameWatcher is a Watcher also told the packet's frame number in the
// original file (global): an analysis that joins tshark's rows to what it
// read of each packet then keeps no frame map (Out.NoFrames), the map
// being 4 bytes per packet of every shard.
type FrameWatcher func(frame, global int64, link layers.LinkType, ci gopacket.CaptureInfo, data []byte)
