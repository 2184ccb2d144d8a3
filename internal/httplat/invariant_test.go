package httplat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestEveryMessageOnce holds on every HTTP capture the project has (its
// own and the shared public ones): no request and no response is reported
// in two exchanges (a pass and the reconciliation both reporting one is
// the failure it catches), and the counts are the exchanges': matched plus
// unanswered is every request counted, orphans every response without
// one. It reuses the runs other tests make.
func TestEveryMessageOnce(t *testing.T) {
	t.Parallel()
	files := captureFiles(t, testutil.Testdata("http"))
	if dir := filepath.Join(testutil.Root(), "..", "shared", "captures", "http"); dirExists(dir) {
		files = append(files, captureFiles(t, dir)...)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			o := shared(t, Options{Files: []string{path}}, 1)
			if o.res == nil {
				return
			}
			checkOnce(t, o)
		})
	}
}

func checkOnce(t *testing.T, o outcome) {
	t.Helper()
	reqs, resps := map[string]int{}, map[string]int{}
	kinds := map[exchange.Kind]int{}
	for _, e := range o.exs {
		kinds[e.Kind]++
		if e.Kind != exchange.Orphan {
			reqs[msgKey(&e, e.Req)]++
		}
		if e.Kind != exchange.Unmatched {
			resps[msgKey(&e, e.Resp)]++
		}
	}
	for k, n := range reqs {
		if n > 1 {
			t.Errorf("request %s reported %d times", k, n)
		}
	}
	for k, n := range resps {
		if n > 1 {
			t.Errorf("response %s reported %d times", k, n)
		}
	}
	c := o.res.Total
	if c.Matched+c.UnmatchedRequests != c.Requests {
		t.Errorf("matched %d + unanswered %d != requests %d", c.Matched, c.UnmatchedRequests, c.Requests)
	}
	if kinds[exchange.Matched] != c.Matched || kinds[exchange.Unmatched] != c.UnmatchedRequests || kinds[exchange.Orphan] != c.OrphanResponses {
		t.Errorf("exchanges %v; counts %+v", kinds, c)
	}
}

// msgKey names a message: HTTP/2 messages by stream id, HTTP/1 by frame
// and position in it.
func msgKey(e *exchange.Exchange, m exchange.MsgRef) string {
	if e.Protocol == exchange.H2 {
		return fmt.Sprintf("h2 tcp.stream %d stream %d", e.Stream, e.StreamID)
	}
	return fmt.Sprintf("frame %d#%d", m.Frame, m.Index)
}

// captureFiles lists the captures under dir, recursively.
func captureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, ext := range []string{".pcap", ".pcapng", ".cap", ".pcap.gz"} {
			if strings.HasSuffix(p, ext) {
				out = append(out, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// TestSharedH2c: the public cleartext HTTP/2 captures, adjudicated by
// hand from tshark's frames. DoH: 34 POST streams, one of whose response
// blocks opens with an HPACK table size update (it made the HTTP/2 row
// unreadable once); nghttp2: the client's first HEADERS (stream 13) is
// one tshark cannot reassemble, so it tells nothing of its direction: it
// is held until the server's PUSH_PROMISE does, and its response matches
// it (ttfb 0.834995 s, method unknown), stream 2 being a push; range: 3 connections upgraded by h2c, 2 plain HTTP/1.1.
func TestSharedH2c(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file                     string
		matched, orphans, pushes int
		h1, h2                   int
	}{
		{"suricata_dns_over_http2_POST.pcap", 34, 0, 0, 0, 34},
		{"arkime_http2-nghttp2.pcap", 1, 0, 1, 0, 1},
		{"suricata_http2-range_8080.pcap", 5, 0, 0, 2, 3},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			o := shared(t, Options{Files: []string{testutil.Shared(t, "http/h2c/"+c.file)}}, 1)
			if o.res == nil || len(o.res.Servers) != 1 {
				t.Fatalf("want one server: %+v", o.res)
			}
			n := o.res.Servers[0].Counts
			pushes := 0
			if o.res.HTTP2 != nil {
				pushes = o.res.HTTP2.Pushes
			}
			if n.Matched != c.matched || n.UnmatchedRequests != 0 || n.OrphanResponses != c.orphans || pushes != c.pushes ||
				n.HTTP1 != c.h1 || n.H2 != c.h2 {
				t.Errorf("counts %+v, pushes %d; want %d matched, %d orphans, %d pushes, %d http/1.1 and %d h2", n, pushes, c.matched, c.orphans, c.pushes, c.h1, c.h2)
			}
		})
	}
}
