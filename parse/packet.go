package parse

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

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

// Packet is one typed row. Optional numbers come with a flag saying that
// tshark printed them; an empty field never reads as 0.
type Packet struct {
	Frame     int64
	Time      Time
	Src, Dst  netip.Addr
	SrcPort   uint16
	DstPort   uint16
	HasStream bool // a TCP packet (tcp.stream present)
	Stream    int64
	Len       int // TCP payload length
	// Seq and Ack are tshark's relative sequence and acknowledgement
	// numbers (0 when absent).
	Seq, Ack uint32
	Flags    uint16
	// Retransmission is set for any of tshark's retransmission flags
	// (plain, fast, spurious).
	Retransmission bool
	// OutOfOrder is tshark's out-of-order flag.
	OutOfOrder bool
	// FirstSegment is the first frame of the reassembled PDU completed in
	// this frame (tcp.segment's first entry); 0 when there is none.
	FirstSegment int64
	// Methods, URIs: one entry per HTTP request reported in this frame
	// (several when requests are pipelined in one segment).
	Methods []string
	URIs    []string
	Hosts   []string
	// Codes: one entry per HTTP response reported in this frame.
	Codes []int
	// RequestIn: tshark's link from each response to its request frame
	// (0 where tshark gave none).
	RequestIn []int64
	// UDP is set for HTTP carried over UDP (SSDP), which is never paired;
	// UDPMessages counts its messages.
	UDP         bool
	UDPMessages int
}

// ToPacket converts a Row, validating every field it uses.
func ToPacket(r *Row) (Packet, error) {
	var p Packet
	var err error
	if p.Frame, err = strconv.ParseInt(r.Frame, 10, 64); err != nil || p.Frame <= 0 {
		return p, fmt.Errorf("frame.number %q", r.Frame)
	}
	if p.Time, err = ParseTime(r.Time); err != nil {
		return p, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	if r.Stream == "" {
		if r.UDPSrcPort != "" && (r.Methods != "" || r.Codes != "") {
			p.UDP = true
			p.UDPMessages = strings.Count(r.Methods, ",") + strings.Count(r.Codes, ",")
			if r.Methods != "" {
				p.UDPMessages++
			}
			if r.Codes != "" {
				p.UDPMessages++
			}
		}
		return p, nil
	}
	p.HasStream = true
	if p.Stream, err = strconv.ParseInt(r.Stream, 10, 64); err != nil || p.Stream < 0 {
		return p, fmt.Errorf("frame %d: tcp.stream %q", p.Frame, r.Stream)
	}
	if p.Src, err = pickAddr(r.IPSrc, r.IPv6Src); err != nil {
		return p, fmt.Errorf("frame %d: source address: %w", p.Frame, err)
	}
	if p.Dst, err = pickAddr(r.IPDst, r.IPv6Dst); err != nil {
		return p, fmt.Errorf("frame %d: destination address: %w", p.Frame, err)
	}
	if p.SrcPort, err = parsePort(r.SrcPort); err != nil {
		return p, fmt.Errorf("frame %d: tcp.srcport: %w", p.Frame, err)
	}
	if p.DstPort, err = parsePort(r.DstPort); err != nil {
		return p, fmt.Errorf("frame %d: tcp.dstport: %w", p.Frame, err)
	}
	if r.Len != "" {
		n, err := strconv.Atoi(lastValue(r.Len))
		if err != nil || n < 0 {
			return p, fmt.Errorf("frame %d: tcp.len %q", p.Frame, r.Len)
		}
		p.Len = n
	}
	if p.Seq, err = parseU32(r.Seq); err != nil {
		return p, fmt.Errorf("frame %d: tcp.seq %q", p.Frame, r.Seq)
	}
	if p.Ack, err = parseU32(r.Ack); err != nil {
		return p, fmt.Errorf("frame %d: tcp.ack %q", p.Frame, r.Ack)
	}
	if r.Flags != "" {
		f, err := strconv.ParseUint(strings.TrimPrefix(lastValue(r.Flags), "0x"), 16, 16)
		if err != nil {
			return p, fmt.Errorf("frame %d: tcp.flags %q", p.Frame, r.Flags)
		}
		p.Flags = uint16(f)
	}
	p.Retransmission = r.Retrans != "" || r.FastRetrans != "" || r.Spurious != ""
	p.OutOfOrder = r.OutOfOrder != ""
	if r.Segments != "" {
		first, _, _ := strings.Cut(r.Segments, ",")
		if p.FirstSegment, err = strconv.ParseInt(first, 10, 64); err != nil || p.FirstSegment <= 0 {
			return p, fmt.Errorf("frame %d: tcp.segment %q", p.Frame, trunc(r.Segments))
		}
	}
	if r.Methods != "" {
		p.Methods = strings.Split(r.Methods, ",")
		p.URIs = splitLike(r.URIs, len(p.Methods))
		p.Hosts = splitLike(r.Host, len(p.Methods))
	}
	if r.Codes != "" {
		for _, c := range strings.Split(r.Codes, ",") {
			code, err := strconv.Atoi(c)
			if err != nil || code < 0 || code > 999 {
				return p, fmt.Errorf("frame %d: http.response.code %q", p.Frame, r.Codes)
			}
			p.Codes = append(p.Codes, code)
		}
		p.RequestIn = make([]int64, len(p.Codes))
		if r.RequestIn != "" {
			links := strings.Split(r.RequestIn, ",")
			// tshark prints one link per response it could link; when some
			// are missing the remaining ones cannot be placed reliably, so
			// they go to the first responses, as tshark lists them in order.
			for i := 0; i < len(links) && i < len(p.RequestIn); i++ {
				if p.RequestIn[i], err = strconv.ParseInt(links[i], 10, 64); err != nil || p.RequestIn[i] <= 0 {
					return p, fmt.Errorf("frame %d: http.request_in %q", p.Frame, r.RequestIn)
				}
			}
		}
	}
	return p, nil
}

// pickAddr chooses the packet's own IP address among what tshark printed.
// Tunnels (VXLAN, GRE, IP-in-IP) make ip.src multi-valued, outer first; the
// TCP header belongs to the innermost, i.e. the last value. When both an
// IPv4 and an IPv6 header are present (6in4 and friends), IPv6 is the inner
// one in the common deployments.
func pickAddr(v4, v6 string) (netip.Addr, error) {
	s := v6
	if s == "" {
		s = v4
	}
	if s == "" {
		return netip.Addr{}, fmt.Errorf("no IP address")
	}
	a, err := netip.ParseAddr(lastValue(s))
	if err != nil {
		return netip.Addr{}, err
	}
	return a, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(lastValue(s), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q", s)
	}
	return uint16(n), nil
}

func parseU32(s string) (uint32, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(lastValue(s), 10, 32)
	return uint32(n), err
}

func lastValue(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		return s[i+1:]
	}
	return s
}

// splitLike splits a comma-joined multi-value into n parts. URIs may hold
// commas themselves, so when the split does not give exactly n parts the
// whole text goes to the first message and the rest get "".
func splitLike(s string, n int) []string {
	if n == 1 {
		return []string{s}
	}
	parts := strings.Split(s, ",")
	if len(parts) == n {
		return parts
	}
	out := make([]string, n)
	out[0] = s
	return out
}
