package dissect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/parse"
)

// TestRunLenient: a row whose conversion fails (here, one frame of a real
// capture refused on purpose) is left out and counted, every other row
// delivered; when more rows fail than convert, the run fails as Run does.
func TestRunLenient(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	capture := testutil.Testdata("http", "synth-pipelined-loss.pcapng")
	ctx := context.Background()
	var all []int64
	if _, err := Run(ctx, bin, httpSpec(capture), http1.ToPacket, func(p *http1.Packet) error { all = append(all, p.Frame); return nil }); err != nil || len(all) < 3 {
		t.Fatalf("%d rows, %v", len(all), err)
	}
	bad := all[len(all)/2]
	refuse := func(pred func(int64) bool) func(*http1.Row) (http1.Packet, error) {
		return func(r *http1.Row) (http1.Packet, error) {
			p, err := http1.ToPacket(r)
			if err == nil && pred(p.Frame) {
				return p, fmt.Errorf("frame %d: refused", p.Frame)
			}
			return p, err
		}
	}
	var got []int64
	var sk Skips
	_, err := RunLenient(ctx, bin, httpSpec(capture), refuse(func(f int64) bool { return f == bad }),
		func(p *http1.Packet) error { got = append(got, p.Frame); return nil }, &sk)
	n, first := sk.Count()
	if err != nil || n != 1 || len(got) != len(all)-1 || !strings.Contains(first, fmt.Sprintf("frame %d: refused", bad)) {
		t.Errorf("one refused row: err %v, %d skipped (%q), %d of %d rows", err, n, first, len(got), len(all))
	}
	var sk2 Skips
	_, err = RunLenient(ctx, bin, httpSpec(capture), refuse(func(int64) bool { return true }),
		func(*http1.Packet) error { return nil }, &sk2)
	var fe *parse.FormatError
	if !errors.As(err, &fe) {
		t.Errorf("every row refused: err %v, want a FormatError", err)
	}
}
