package httplat

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/http2"
	"github.com/pcapmeter/pcapmeter/internal/shard"
)

// HTTP2Summary is what the HTTP/2 pass counted besides exchanges.
type HTTP2Summary struct {
	Connections  int            `json:"connections"`
	Streams      int            `json:"streams"`
	Pushes       int            `json:"server_pushes"`
	Resets       map[string]int `json:"resets,omitempty"` // "client CANCEL" → count
	GoAways      int            `json:"goaways"`
	Trailers     int            `json:"trailers"`
	Continuation int            `json:"continuation_frames"`
	Upgraded     int            `json:"h2c_upgrades"`
}

// TLSServer is one server's TLS connections.
type TLSServer struct {
	Server      netip.AddrPort `json:"server"`
	Connections int            `json:"connections"`
	Decrypted   int            `json:"decrypted"`
}

// TLSSummary says how much of the capture is TLS and how much of it the
// key logs decrypted. A connection counts as decrypted when its Finished
// handshake message was readable (TLS 1.3 encrypts it; TLS 1.2's is
// encrypted under the session keys), whatever version.
type TLSSummary struct {
	Connections int            `json:"connections"`
	Decrypted   int            `json:"decrypted"`
	Servers     []TLSServer    `json:"servers"`
	SNI         map[string]int `json:"server_names,omitempty"`
	// KeyLog says whether a key log was given at all.
	KeyLog bool `json:"key_log_given"`
	// NotDecrypted names the first connections no key decrypted.
	NotDecrypted []TLSConn `json:"not_decrypted,omitempty"`
	// StoppedDecrypting names the first decrypted HTTP/2 connections whose
	// records after a capture gap tshark could not decrypt.
	StoppedDecrypting []TLSBlind `json:"stopped_decrypting,omitempty"`
	// StoppedConnections and UnreadSegments count every connection that
	// stopped decrypting and the segments tshark could not read on them,
	// named above or not.
	StoppedConnections int `json:"stopped_decrypting_connections,omitempty"`
	UnreadSegments     int `json:"unread_segments,omitempty"`
}

// h2Run is one file's HTTP/2 pass and what it holds back from pass 1:
// HTTP/1 101 answers, which are not an answer when the connection upgraded
// to h2c (stream 1 carries the upgraded request's answer).
type h2Run struct {
	mu       sync.Mutex
	held     []heldExchange
	heldKeys map[heldKey]bool
	released bool
	probe    *probeRun
}

// heldKey identifies a held 101: a split abandoned half way reports its
// exchanges again from the single-tshark run.
type heldKey struct {
	mode      http1.Pairing
	req, resp exchange.MsgRef
}

type heldExchange struct {
	mode http1.Pairing
	ex   exchange.Exchange
}

// hold keeps a 101 back until the HTTP/2 pass has said whether its
// connection upgraded to h2c; it reports whether it kept e.
func (h *h2Run) hold(mode http1.Pairing, e *exchange.Exchange) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || e.Status != 101 || e.Kind != exchange.Matched {
		return false
	}
	k := heldKey{mode, e.Req, e.Resp}
	if h.heldKeys == nil {
		h.heldKeys = map[heldKey]bool{}
	}
	if !h.heldKeys[k] {
		h.heldKeys[k] = true
		h.held = append(h.held, heldExchange{mode, *e})
	}
	return true
}

// h2Passes counts HTTP/2 passes run, for the test that none runs where
// the probe found nothing.
var h2Passes atomic.Int64

// h2Splits counts HTTP/2 passes that ran split by connection, for the
// test that they do.
var h2Splits atomic.Int64

// needed says whether the file may hold HTTP/2 or TLS worth a second
// tshark run: the probe saw a TLS ClientHello or an HTTP/2 preface, or
// pass 1 a 101 (an Upgrade: h2c is followed by the preface, unless the
// capture lost it), or the probe could not read the file. Keys or ports
// alone are no reason: without a handshake tshark decrypts nothing, and
// without a preface it finds no HTTP/2.
func (h *h2Run) needed(pr shard.Probe, err error) bool {
	return err != nil || pr.ClientHellos > 0 || pr.H2Prefaces > 0 || len(h.held) > 0
}

// h2Pass runs the HTTP/2 pass when needed, then releases the held 101s
// of connections that did not upgrade to h2c. It runs over the whole file
// by one tshark whatever --jobs says, so every TLS connection, its keys
// and its streams stay together.
func (f *fileRun) h2Pass(ctx context.Context) error {
	h := f.h2
	var upgraded map[[2]netip.AddrPort]bool
	pr, perr := h.probe.wait()
	if perr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	f.into.addQUIC(pr.QUIC)
	if h.needed(pr, perr) {
		var err error
		if upgraded, err = f.dissectH2(ctx); err != nil {
			return err
		}
	}
	h.mu.Lock()
	held := h.held
	h.held, h.released = nil, true
	h.mu.Unlock()
	for i := range held {
		e := &held[i].ex
		if upgraded[[2]netip.AddrPort{e.Client, e.Server}] {
			continue
		}
		if err := f.emit(held[i].mode, e); err != nil {
			return err
		}
	}
	return nil
}

// dissectH2 pairs the file's HTTP/2 streams into f's aggregator and
// returns the connections that upgraded to h2c. It splits the file by
// connection when pass 1 would (--jobs, or too many packets for one
// tshark), falling back to one tshark when the split is not possible.
func (f *fileRun) dissectH2(ctx context.Context) (map[[2]netip.AddrPort]bool, error) {
	h2Passes.Add(1)
	est, estErr := shard.EstimatePackets(f.file)
	if estErr == nil && (f.opt.Jobs > 1 || est > f.opt.shardPackets) {
		if k := shardCount(f.opt.Jobs, est, f.opt.shardPackets); k > 1 {
			r, err := f.dissectH2Split(ctx, k)
			if err == nil {
				h2Splits.Add(1)
				f.addH2(r)
				return r.upgraded, nil
			}
			if !errors.Is(err, errFallback) {
				return nil, err
			}
		}
	}
	r, err := f.dissectH2Whole(ctx)
	if err != nil {
		return nil, err
	}
	f.addH2(r)
	return r.upgraded, nil
}

// addH2 counts a finished HTTP/2 pass.
func (f *fileRun) addH2(r h2Result) {
	f.into.addH2(f.file, r.stats)
	if f.cc != nil {
		f.cc.addH2Check(f.file, r.check)
	}
}

// dissectH2Whole is the HTTP/2 pass by one tshark.
func (f *fileRun) dissectH2Whole(ctx context.Context) (h2Result, error) {
	ck := f.newChecker()
	pr := http2.NewPairer(checkedSink(ck, f.emitH2))
	conns := map[int64][2]netip.AddrPort{}
	truncated, err := dissect.RunLenient(ctx, f.bin, h2Spec(f.file, &f.opt), http2.ToPacket, func(pk *http2.Packet) error {
		if ck != nil {
			ck.Add(pk)
		}
		if pk.H1Code == 101 && pk.Conn >= 0 {
			conns[pk.Conn] = [2]netip.AddrPort{pk.Dst, pk.Src}
		}
		return pr.Add(pk)
	}, f.skips)
	if err != nil {
		return h2Result{}, err
	}
	if truncated {
		f.rep.markPartial(f.file)
	}
	st, err := pr.Flush()
	if err != nil {
		return h2Result{}, err
	}
	return h2Result{stats: st, check: ck, upgraded: upgradedPairs(st.Upgraded, conns)}, nil
}

func h2Ports(opt *Options) []uint16 {
	ports := slices.Clone(opt.HTTPPorts)
	if opt.Port != 0 && !slices.Contains(ports, opt.Port) {
		ports = append(ports, opt.Port)
	}
	return ports
}

// emitH2 counts an HTTP/2 exchange like an HTTP/1 one; the cross-check
// compares HTTP/1 pairings and has nothing to say about streams.
func (f *fileRun) emitH2(e *exchange.Exchange) error {
	if !f.sel.keep(e, true) {
		return nil
	}
	f.into.add(e)
	if f.opt.Counted != nil {
		f.opt.Counted()
	}
	if f.opt.OnExchange != nil {
		return f.opt.OnExchange(f.file, e)
	}
	return nil
}

// addH2 adds an HTTP/2 pass' counts.
func (a *aggregator) addH2(file string, st http2.Stats) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ap, n := range st.ConnsByServer {
		a.server(ap).Counts.Connections += n
	}
	if st.Conns > 0 {
		if a.h2 == nil {
			a.h2 = &HTTP2Summary{Resets: map[string]int{}}
		}
		h := a.h2
		h.Connections += st.Conns
		h.Streams += st.Streams
		h.Pushes += st.Pushes
		h.GoAways += st.GoAways
		h.Trailers += st.Trailers
		h.Continuation += st.Continuation
		h.Upgraded += len(st.Upgraded)
		for k, n := range st.Resets {
			h.Resets[k] += n
		}
	}
	if len(st.TLSConns) == 0 {
		return
	}
	if a.tls == nil {
		a.tls = &TLSSummary{SNI: map[string]int{}}
		a.tlsBy = map[netip.AddrPort]*TLSServer{}
	}
	for ap, n := range st.TLSConns {
		s := a.tlsBy[ap]
		if s == nil {
			s = &TLSServer{Server: ap}
			a.tlsBy[ap] = s
		}
		s.Connections += n
		s.Decrypted += st.TLSDecrypted[ap]
		a.tls.Connections += n
		a.tls.Decrypted += st.TLSDecrypted[ap]
	}
	for name, n := range st.SNI {
		a.tls.SNI[name] += n
	}
	a.tls.addUndecrypted(file, st.Undecrypted)
	a.tls.addBlind(file, st.Blind)
}

// finishH2 puts the HTTP/2 and TLS summaries into res, and keeps the
// per-protocol counts only when there is more than HTTP/1.1 to tell.
func (a *aggregator) finishH2(res *Result, keyLog bool) {
	res.HTTP2 = a.h2
	if a.tls != nil {
		res.TLS = a.tls
		res.TLS.KeyLog = keyLog
		for _, ap := range slices.SortedFunc(maps.Keys(a.tlsBy), func(x, y netip.AddrPort) int { return x.Compare(y) }) {
			res.TLS.Servers = append(res.TLS.Servers, *a.tlsBy[ap])
		}
		sort.SliceStable(res.TLS.Servers, func(i, j int) bool {
			return res.TLS.Servers[i].Connections > res.TLS.Servers[j].Connections
		})
		if n := a.tls.Connections - a.tls.Decrypted; n > 0 && a.tls.Decrypted+len(res.Servers) > 0 {
			res.Warnings = append(res.Warnings, a.tls.undecryptedWarning())
		}
		if len(a.tls.StoppedDecrypting) > 0 {
			res.Warnings = append(res.Warnings, a.tls.blindWarning())
		}
	}
	if res.Total.H2 == 0 {
		res.Total.HTTP1 = 0
		for _, s := range res.Servers {
			s.Counts.HTTP1 = 0
		}
	}
}
