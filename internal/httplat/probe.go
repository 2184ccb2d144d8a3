package httplat

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/shard"
)

// QUICSummary counts QUIC connections (HTTP/3 and others over UDP), which
// no pass dissects: tshark 4.0 decrypts QUIC with a key log but does not
// decode HTTP/3 requests (README, "Known limits").
type QUICSummary struct {
	Connections int          `json:"connections"`
	Servers     []QUICServer `json:"servers"`
}

// QUICServer is one server's QUIC connections.
type QUICServer struct {
	Server      netip.AddrPort `json:"server"`
	Connections int            `json:"connections"`
}

// probeRun is a file's raw-byte probe (shard.Probe): it decides whether
// the HTTP/2 pass has anything to find. Pass 1's splitter fills it in its
// own read of the file (shard.SplitProbing); only when pass 1 does not
// read the file through the splitter, or that read fails, does
// shard.ProbeFile read the file again, beside the pass's tshark so that
// it costs no wall time of its own. (Always reading it beside pass 1 cost
// a second parse of every packet: ~0.35 s of CPU per million packets,
// ~10% of pcapmeter's own, on the cores the tsharks need.)
type probeRun struct {
	ctx    context.Context
	file   string
	done   chan struct{}
	cancel context.CancelFunc
	mu     sync.Mutex
	began  bool // a result is coming on done
	pr     shard.Probe
	err    error
}

// probeReads counts the probe's own reads of a file, for the test that a
// split's read spares them.
var probeReads atomic.Int64

func newProbe(ctx context.Context, file string) *probeRun {
	ctx, cancel := context.WithCancel(ctx)
	return &probeRun{ctx: ctx, file: file, done: make(chan struct{}), cancel: cancel}
}

// start reads the file for the probe, unless a result is already coming.
func (p *probeRun) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.began {
		return
	}
	p.began = true
	probeReads.Add(1)
	go func() {
		defer close(p.done)
		p.pr, p.err = shard.ProbeFile(p.ctx, p.file)
	}()
}

// set takes the probe a successful split made in its read; it reports
// false when a result was already coming.
func (p *probeRun) set(pr shard.Probe) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.began {
		return false
	}
	p.began = true
	p.pr = pr
	close(p.done)
	return true
}

// wait returns the probe's findings, reading the file for them if
// nothing has yet.
func (p *probeRun) wait() (shard.Probe, error) {
	p.start()
	<-p.done
	return p.pr, p.err
}

// stop ends a read still going.
func (p *probeRun) stop() {
	p.cancel()
	p.mu.Lock()
	began := p.began
	p.mu.Unlock()
	if began {
		<-p.done
	}
}

// addQUIC counts a file's QUIC connections.
func (a *aggregator) addQUIC(by map[netip.AddrPort]int) {
	if len(by) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.quic == nil {
		a.quic = map[netip.AddrPort]int{}
	}
	for s, n := range by {
		a.quic[s] += n
	}
}

// finishQUIC puts the QUIC connections into res, busiest server first,
// with a warning: they are traffic the report does not measure.
func (a *aggregator) finishQUIC(res *Result) {
	if len(a.quic) == 0 {
		return
	}
	q := &QUICSummary{}
	for _, s := range slices.SortedFunc(maps.Keys(a.quic), func(x, y netip.AddrPort) int { return x.Compare(y) }) {
		q.Servers = append(q.Servers, QUICServer{Server: s, Connections: a.quic[s]})
		q.Connections += a.quic[s]
	}
	slices.SortStableFunc(q.Servers, func(x, y QUICServer) int { return y.Connections - x.Connections })
	res.QUIC = q
	res.Warnings = append(res.Warnings, q.Warning())
}

// Warning says what the QUIC connections are and why they are not
// measured.
func (q *QUICSummary) Warning() string {
	var names []string
	for i, s := range q.Servers {
		if i == namedInText {
			names = append(names, fmt.Sprintf("and %d more servers", len(q.Servers)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s (%d)", s.Server, s.Connections))
	}
	return fmt.Sprintf("%d QUIC connections (HTTP/3 or other QUIC traffic) to %s are not measured: tshark 4.0 decrypts QUIC with a key log but does not decode HTTP/3 requests and responses",
		q.Connections, strings.Join(names, ", "))
}
