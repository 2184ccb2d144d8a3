package httplat

import (
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestThinnedIdentical: pass 1 through the splitter, plain ACKs left out
// (shard.Out.Thin), reports exchange by exchange what tshark reading every
// packet of the file reports, with the original frame numbers, the same
// warnings and figures, by one tshark and by several, on the captures with
// loss, reordering, gaps, resets and retransmissions.
func TestThinnedIdentical(t *testing.T) {
	t.Parallel()
	files := []string{
		testutil.Testdata("http", "synth-loss-reorder.pcapng"), testutil.Testdata("http", "synth-pipelined-loss.pcapng"),
		testutil.Testdata("http", "synth-gap-and-hole.pcapng"), testutil.Testdata("http", "synth-client-gaps.pcapng"),
		testutil.Testdata("http", "synth-reset-end.pcapng"), testutil.Testdata("http", "synth-gaps-v6.pcap"),
	}
	for _, rel := range []string{"http/zeek_1000-requests-one-dropped-response.pcap", "tcp/sanders_tcp_retransmissions.pcapng",
		"tcp/zeek_get_nosyn.pcap", "tcp/zeek_m57-long-49583-80.pcap"} {
		files = append(files, testutil.Shared(t, rel))
	}
	for i, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			opt := Options{Files: []string{f}, Crosscheck: true}
			thinned := shared(t, opt, 1)
			opt.whole = true
			whole := runJobs(t, opt, 1)
			same(t, filepath.Base(f)+" one tshark", whole, thinned)
			if whole.warns != thinned.warns {
				t.Errorf("warnings differ:\n%s\n%s", whole.warns, thinned.warns)
			}
			if whole.res.Crosscheck.Agree != thinned.res.Crosscheck.Agree {
				t.Errorf("crosscheck differs")
			}
			if i < 2 {
				opt.whole = false
				same(t, filepath.Base(f)+" two shards", whole, runJobs(t, opt, 2))
			}
		})
	}
}
