package shard

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzReadTCP: any bytes under any link type are read without panicking;
// ReadTCP takes a packet exactly when the router calls it plain TCP (and
// its time fits a shard's pcap), with the router's addresses, numbers
// and flags, and an IP ID for IPv4 only.
func FuzzReadTCP(f *testing.F) {
	f.Add(uint16(1), int64(0), []byte{})
	f.Add(uint16(0), int64(1700000000), []byte{2, 0, 0, 0, 0x45, 0, 0, 40, 0x12, 0x34, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0, 80, 1, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(uint16(101), int64(-1), []byte{0x60, 0, 0, 0, 0, 20, 6, 64})
	f.Add(uint16(101), int64(1<<33), []byte{0x45, 0, 0, 40})
	f.Fuzz(func(t *testing.T, link uint16, sec int64, b []byte) {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(sec, 0), CaptureLength: len(b), Length: len(b)}
		h, ok := ReadTCP(layers.LinkType(link), ci, b)
		p, err := parseTCP(layers.LinkType(link), b)
		want := err == nil && p.ok && sec >= 0 && sec <= 1<<32-1
		if ok != want {
			t.Fatalf("ReadTCP ok %v, router %+v %v (time %d)", ok, p, err, sec)
		}
		if !ok {
			return
		}
		if h.Src != p.src || h.Dst != p.dst || h.Seq != p.seq || h.Ack != p.ack || h.Flags != p.flags12 || h.HasIPID != p.src.Addr().Is4() ||
			h.Time != sec*1e9 {
			t.Fatalf("header %+v, router %+v", h, p)
		}
	})
}
