package tracesum

import (
	"fmt"
)

// linkTypes names the link-layer header types seen in practice
// (tcpdump.org/linktypes.html numbering).
var linkTypes = map[int]string{
	0: "NULL/Loopback", 1: "Ethernet", 9: "PPP", 101: "Raw IP", 104: "Cisco HDLC",
	105: "IEEE 802.11", 113: "Linux cooked (SLL)", 127: "IEEE 802.11 + radiotap", 228: "Raw IPv4",
	229: "Raw IPv6", 226: "Solaris IPNET", 239: "NFLOG", 276: "Linux cooked v2 (SLL2)",
}

// LinkTypeName names a link type, "unknown" for -1.
func LinkTypeName(lt int) string {
	if lt < 0 {
		return "unknown"
	}
	if n, ok := linkTypes[lt]; ok {
		return n
	}
	return fmt.Sprintf("link type %d", lt)
}
