package parse

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The field helpers below are what every analysis' conversion shares:
// tshark prints one value per protocol layer, comma-joined (a tunnel has
// two IP headers, an ICMP error quotes the packet that caused it), so each
// helper says which value it takes and keeps "absent" apart from "zero".

// TCP flag bits of tcp.flags.
const (
	FlagFIN = 0x001
	FlagSYN = 0x002
	FlagRST = 0x004
	FlagACK = 0x010
)

// PickAddr chooses the packet's own IP address among what tshark printed.
// Tunnels (VXLAN, GRE, IP-in-IP) make ip.src multi-valued, outer first; the
// TCP header belongs to the innermost, i.e. the last value. When both an
// IPv4 and an IPv6 header are present (6in4 and friends), IPv6 is the inner
// one in the common deployments.
func PickAddr(v4, v6 string) (netip.Addr, error) {
	s := v6
	if s == "" {
		s = v4
	}
	if s == "" {
		return netip.Addr{}, fmt.Errorf("no IP address")
	}
	a, err := netip.ParseAddr(LastValue(s))
	if err != nil {
		return netip.Addr{}, err
	}
	return a, nil
}

// ParsePort reads the innermost value of a port field; the error quotes
// the whole field, which is what a user can look for in tshark's output.
func ParsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(LastValue(s), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q", s)
	}
	return uint16(n), nil
}

// ParseU32 reads the innermost value of a 32-bit field such as tcp.seq;
// an absent field is 0 (tshark omits tcp.ack without the ACK flag).
func ParseU32(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(LastValue(s), 10, 32)
	return uint32(n), err
}

// LastValue is the innermost of a multi-valued field (the whole field
// when it has one value).
func LastValue(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ParseFlags reads tcp.flags ("0x0012", the innermost TCP header's); an
// absent field is no flag set.
func ParseFlags(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseUint(strings.TrimPrefix(LastValue(s), "0x"), 16, 16)
	return uint16(f), err
}
