package httplat

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// tsharkFinals counts tshark's own final (non-1xx) responses per server
// address:port and status code, straight from its HTTP dissector.
func tsharkFinals(t *testing.T, path string) map[string]map[int]int {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "http.response && tcp", "-T", "fields",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "http.response.code").Output()
	if err != nil {
		t.Skipf("tshark: %v", err)
	}
	got := map[string]map[int]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		addr := f[0]
		if addr == "" {
			addr = "[" + f[1] + "]"
		}
		key := addr + ":" + f[2]
		for _, c := range strings.Split(f[3], ",") {
			code, _ := strconv.Atoi(c)
			if code >= 100 && code < 200 {
				continue
			}
			if got[key] == nil {
				got[key] = map[int]int{}
			}
			got[key][code]++
		}
	}
	return got
}

// TestStatusCodesMatchTshark: per server, the breakdown's status codes
// (matched exchanges) plus the orphan responses equal tshark's count of
// final responses, on captures the pairing was never tuned on.
func TestStatusCodesMatchTshark(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{"http/sanders_http_espn.pcapng", "http/zeek_methods.pcap", "http/zeek_bro.org.pcap", "http/wireshark_http.cap"} {
		t.Run(rel, func(t *testing.T) {
			path := testutil.Shared(t, rel)
			o := shared(t, Options{Files: []string{path}}, 1)
			if o.err != nil {
				t.Fatal(o.err)
			}
			res := o.res
			// A response whose last byte the capture lacks is one
			// tshark cannot reassemble, so never reports.
			rebuilt := map[string]int{}
			for _, e := range o.exs {
				if e.RespLastUnknown && e.Kind == exchange.Matched {
					rebuilt[e.Server.String()]++
				}
			}
			want := tsharkFinals(t, path)
			if len(res.Servers) != len(want) {
				t.Errorf("%d servers, tshark %d", len(res.Servers), len(want))
			}
			for _, s := range res.Servers {
				w, sum, wsum := want[s.Server.String()], 0, 0
				for _, n := range s.Breakdown.StatusCodes {
					sum += n
				}
				for _, n := range w {
					wsum += n
				}
				r := rebuilt[s.Server.String()]
				if sum-r+s.Counts.OrphanResponses != wsum || sum != s.Counts.Matched {
					t.Errorf("%s: %d matched finals (%d reconstructed) + %d orphans, tshark %d finals", s.Server, sum, r, s.Counts.OrphanResponses, wsum)
				}
			}
		})
	}
}
