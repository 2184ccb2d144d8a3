package http1

import (
	"fmt"
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// Pairing selects how requests are matched with responses.
type Pairing string

const (
	// PairTuple matches by connection, first in first out: the n-th final
	// response on a TCP connection answers the n-th request. This is what
	// HTTP/1.1 guarantees, so it is right under pipelining.
	PairTuple Pairing = "tuple"
	// PairTshark follows tshark's own http.request_in links. tshark 4.0
	// links a response to the most recent request on the connection, which
	// is wrong under pipelining; kept for cross-checking the dissector.
	PairTshark Pairing = "tshark"
)

// ParsePairing validates a --pairing value.
func ParsePairing(s string) (Pairing, error) {
	switch Pairing(s) {
	case PairTuple, PairTshark:
		return Pairing(s), nil
	}
	return "", fmt.Errorf("unknown pairing %q: want tuple or tshark", s)
}

// Options configure a Pairer.
type Options struct {
	Mode Pairing
	// DeferStalled withholds the unanswered requests of a connection that
	// ends with a response begun but never completed, into Tally.Stalled,
	// instead of emitting them. With out-of-order reassembly on, tshark
	// waits forever for bytes a capture gap swallowed and reports nothing
	// after it on that connection; the caller re-reads such connections
	// with out-of-order reassembly off and takes the answers from there.
	DeferStalled bool
	// Reconcile (PairTuple only) leaves to a reconciliation pass every
	// connection that ends with bytes beyond a hole the capture never
	// fills, or with a response begun but never completed: its exchanges
	// from the first such hole on are withheld and the connection is
	// listed in Tally.Gappy with what was already emitted. Out-of-order
	// reassembly stalls at such a hole, so whatever tshark reported after
	// it is incomplete, in either direction.
	Reconcile bool
}

// Counters tallies what the pairer saw besides exchanges, so that nothing
// is dropped silently.
type Counters struct {
	Requests        int `json:"requests"`
	Responses       int `json:"responses"`         // final responses
	Interim         int `json:"interim_responses"` // 1xx
	UDPMessages     int `json:"udp_http_ignored"`  // HTTP over UDP (SSDP), never paired
	RetransSegments int `json:"retransmitted_segments"`
	// Estimated counts messages whose byte times are upper bounds.
	Estimated int `json:"times_estimated"`
	// LostResponses counts requests whose response fell in a capture gap
	// (reported as unmatched).
	LostResponses int `json:"responses_lost_in_gaps"`
	// Incomplete counts requests whose response began but never completed.
	Incomplete int `json:"responses_incomplete"`
	// DuplicateMessages counts HTTP messages tshark reported again on a
	// retransmitted segment; they are not exchanges.
	DuplicateMessages int `json:"retransmitted_messages_ignored"`
	// Ambiguous counts responses that follow a capture gap on a
	// connection with several requests outstanding, all sent before the
	// gap: their pairing is FIFO's best guess.
	Ambiguous int `json:"ambiguous_after_gap"`
	// Reconstructed counts exchanges placed by sequence numbers on
	// connections a never-filled gap left incomplete (SeqPairer).
	Reconstructed int `json:"reconstructed"`
}

// Tally is everything a pairer has to say besides the exchanges it
// emitted, complete when Flush returns it.
type Tally struct {
	Counters
	// RetransByServer attributes retransmitted segments to the server of
	// their connection once the connection is retired.
	RetransByServer map[netip.AddrPort]int
	// ConnsByServer counts connections that carried HTTP, per server.
	ConnsByServer map[netip.AddrPort]int
	// InterimByServer counts 1xx responses no request ever claimed.
	InterimByServer map[netip.AddrPort]int
	// Stalled holds, by tcp.stream, the requests withheld under
	// Options.DeferStalled (nil when none were).
	Stalled map[int64][]exchange.Exchange
	// Gappy lists, by tcp.stream, the connections left to reconciliation
	// under Options.Reconcile (nil when none were).
	Gappy map[int64]Cut
}
