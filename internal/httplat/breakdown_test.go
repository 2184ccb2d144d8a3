package httplat

import (
	"maps"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// tsharkView is tshark's own reading of a capture (one pass over the
// whole file, default preferences): its final responses per server
// ("ip:port") and status code (1xx left out but 101, which ends HTTP on
// the connection), and the servers of the connections its sequence
// analysis flags (a retransmission or an out-of-order segment), where
// its reassembly and pcapmeter's can differ.
type tsharkView struct {
	finals  map[string]map[int]int
	flagged map[string]bool
}

func readTshark(t *testing.T, path string) tsharkView {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y",
		"tcp && !icmp && !icmpv6 && (http.response || tcp.analysis.retransmission || tcp.analysis.out_of_order)", "-T", "fields",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
		"-e", "http.response.code", "-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.out_of_order").Output()
	if err != nil {
		t.Skipf("tshark: %v", err)
	}
	v := tsharkView{finals: map[string]map[int]int{}, flagged: map[string]bool{}}
	// Trim the newline only: an IPv6 row begins with an empty ip.src.
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			continue
		}
		src, dst := endpoint(f[0], f[1], f[2]), endpoint(f[3], f[4], f[5])
		if f[7] != "" || f[8] != "" {
			v.flagged[src], v.flagged[dst] = true, true
		}
		for _, c := range strings.Split(f[6], ",") {
			code, err := strconv.Atoi(c)
			if err != nil || code >= 100 && code < 200 && code != 101 {
				continue
			}
			if v.finals[src] == nil {
				v.finals[src] = map[int]int{}
			}
			v.finals[src][code]++
		}
	}
	return v
}

func endpoint(ip4, ip6, port string) string {
	if ip4 == "" {
		return "[" + ip6 + "]:" + port
	}
	return ip4 + ":" + port
}

// TestStatusCodesMatchTshark: on every shared HTTP capture (whatever is
// in the folder: none was picked, none is left out) and for every server
// and status code, tshark's own count of final responses equals
// pcapmeter's status_codes plus its orphan responses (no request, so not
// in status_codes), leaving out the responses whose last byte the capture
// lacks (tshark cannot reassemble those, so never reports them). pcapmeter
// may count more only on a server with an exchange reconstructed by
// sequence numbers (tshark's reassembly stops at a gap the capture never
// fills) or a connection tshark's sequence analysis flags (its reassembly
// there loses messages, e.g. after a reused port); it may never count
// fewer, nor put a response under another code. The pipeline runs are
// TestEveryMessageOnce's, shared; only tshark's own pass is extra.
func TestStatusCodesMatchTshark(t *testing.T) {
	t.Parallel()
	dir := testutil.Shared(t, "http")
	for _, path := range captureFiles(t, dir) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			o := shared(t, Options{Files: []string{path}}, 1)
			if o.err != nil {
				return // ErrNoHTTP: nothing to count
			}
			ours := map[string]map[int]int{}
			loose := map[string]bool{}
			upgrades := map[string]int{} // HTTP/2 stream 1: perhaps an h2c upgrade's request
			for _, e := range o.exs {
				if e.Protocol == exchange.H2 && e.StreamID == 1 {
					upgrades[e.Server.String()]++
				}
				if e.Protocol != exchange.HTTP1 || e.Kind == exchange.Unmatched || e.RespLastUnknown {
					continue
				}
				srv := e.Server.String()
				if ours[srv] == nil {
					ours[srv] = map[int]int{}
				}
				ours[srv][e.Status]++
				loose[srv] = loose[srv] || e.Reconstructed
			}
			checkStatusCodes(t, o)
			if o.counted != int64(len(o.exs)) {
				// Options.Counted (the progress bar's count) misses or
				// repeats exchanges.
				t.Errorf("Counted called %d times for %d exchanges", o.counted, len(o.exs))
			}
			tv := readTshark(t, path)
			for srv := range tv.finals {
				if ours[srv] == nil {
					ours[srv] = map[int]int{}
				}
			}
			for srv, codes := range ours {
				for code := range tv.finals[srv] {
					codes[code] += 0
				}
				for code, n := range codes {
					w := tv.finals[srv][code]
					if code == 101 && n < w && w <= n+upgrades[srv] {
						// An h2c upgrade: tshark counts its 101; the
						// request's final answer is on HTTP/2 stream 1.
						continue
					}
					if n < w || n > w && !loose[srv] && !tv.flagged[srv] {
						t.Errorf("%s %d: pcapmeter %d (matched and orphans), tshark %d", srv, code, n, w)
					}
				}
			}
		})
	}
}

// checkStatusCodes: a server's status_codes count its matched
// exchanges' final codes, HTTP/1 and HTTP/2.
func checkStatusCodes(t *testing.T, o outcome) {
	t.Helper()
	want := map[string]map[int]int{}
	for _, e := range o.exs {
		if e.Kind == exchange.Matched {
			if want[e.Server.String()] == nil {
				want[e.Server.String()] = map[int]int{}
			}
			want[e.Server.String()][e.Status]++
		}
	}
	for _, s := range o.res.Servers {
		if got, w := s.Breakdown.StatusCodes, want[s.Server.String()]; !maps.Equal(got, w) && (len(got) > 0 || len(w) > 0) {
			t.Errorf("%s: status_codes %v, its matched exchanges %v", s.Server, got, w)
		}
	}
}
