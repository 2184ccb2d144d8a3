package tracesum

import (
	"fmt"
	"time"

	"github.com/pcapmeter/pcapmeter/parse"
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

func rfc3339(t parse.Time) string {
	return time.Unix(0, int64(t)).UTC().Format("2006-01-02T15:04:05.000000000Z")
}
