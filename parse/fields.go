package parse

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The typed readers of tshark field values every analysis shares, so that
// a frame number, an address or a flags word reads the same (and fails
// the same way) in every slice. tshark prints a field once per protocol
// layer that carries it, comma-joined, outer layer first: "10.1.1.1,
// 172.16.0.1" for a tunnelled packet.

// Time is a capture timestamp in nanoseconds since the Unix epoch. tshark
// prints 9 decimals; a float64 would lose the last ~3 of them at today's
// epoch, so timestamps stay integers until a duration is taken.
type Time int64

// Seconds returns t as float seconds (for durations, after subtraction).
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// Sub returns t−u in seconds.
func (t Time) Sub(u Time) float64 { return float64(t-u) / 1e9 }

// String renders t as tshark does: seconds with 9 decimals.
func (t Time) String() string {
	sign := ""
	v := int64(t)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%09d", sign, v/1e9, v%1e9)
}

// RFC3339 renders t in UTC with nanoseconds, the way every report prints
// absolute times.
func (t Time) RFC3339() string {
	return time.Unix(0, int64(t)).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// ParseTime reads tshark's frame.time_epoch ("1258577884.844956000", with
// 0 to 9 decimals) exactly.
func ParseTime(s string) (Time, error) {
	if s == "" {
		return 0, fmt.Errorf("empty timestamp")
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 9 || !digits(whole) || !digits(frac) || len(whole) > 11 {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	sec, _ := strconv.ParseInt(whole, 10, 64)
	var ns int64
	if frac != "" {
		ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	t := sec*1e9 + ns
	if neg {
		t = -t
	}
	return Time(t), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

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

// ParsePort reads a port field's innermost value; the error quotes the
// whole field.
func ParsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(LastValue(s), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q", s)
	}
	return uint16(n), nil
}

// ParseU32 reads a 32-bit field's innermost value (tcp.seq, tcp.ack);
// an empty field, one tshark did not print, reads as 0.
func ParseU32(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(LastValue(s), 10, 32)
	return uint32(n), err
}

// LastValue is the innermost layer's value of a multi-valued field.
func LastValue(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ParseFlags reads tcp.flags ("0x018", innermost value); an empty field
// reads as no flags.
func ParseFlags(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseUint(strings.TrimPrefix(LastValue(s), "0x"), 16, 16)
	return uint16(f), err
}
