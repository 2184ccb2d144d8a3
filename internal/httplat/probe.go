package httplat

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

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

// probeRun is a file's raw-byte probe (shard.ProbeFile), read beside
// pass 1 so that it costs no time of its own: it decides whether the
// HTTP/2 pass has anything to find.
type probeRun struct {
	done   chan struct{}
	cancel context.CancelFunc
	pr     shard.Probe
	err    error
}

func startProbe(ctx context.Context, file string) *probeRun {
	ctx, cancel := context.WithCancel(ctx)
	p := &probeRun{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(p.done)
		p.pr, p.err = shard.ProbeFile(ctx, file)
	}()
	return p
}

// wait returns the probe's findings; stop ends it early.
func (p *probeRun) wait() (shard.Probe, error) {
	<-p.done
	return p.pr, p.err
}

func (p *probeRun) stop() {
	p.cancel()
	<-p.done
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
