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
