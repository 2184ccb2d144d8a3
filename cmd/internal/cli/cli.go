// Package cli holds what pcapmeter's binaries share on the command line:
// validating user values before they go anywhere near tshark, turning
// errors into the one line a user reads, exit codes, and Ctrl-C handling.
// Exit (exit.go) is the one mapping from how a run ended to its exit code
// and stderr line, so every subcommand ends the same way.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/internal/input"
	"github.com/pcapmeter/pcapmeter/internal/outfile"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Exit codes shared by every binary.
const (
	ExitOK          = 0
	ExitError       = 1   // nothing (trustworthy) to report
	ExitUsage       = 2   // bad flags or arguments
	ExitPartial     = 3   // a report was printed but covers only part of the input
	ExitInterrupted = 130 // Ctrl-C
)

// ParseIP validates a server address given by a user. Only a literal IPv4
// or IPv6 address passes (no host names, no zones), so the value is safe
// to place in a display filter.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid IP address %q: give a literal IPv4 or IPv6 address such as 10.0.0.5 or 2001:db8::1", s)
	}
	return a.Unmap(), nil
}

// ParsePort validates a TCP port given by a user: 1 to 65535.
func ParsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q: give a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// ParseServer validates the optional --server and --port pair ("" means
// not given: zero values).
func ParseServer(ip, port string) (netip.Addr, uint16, error) {
	var a netip.Addr
	var p uint16
	var err error
	if ip != "" {
		if a, err = ParseIP(ip); err != nil {
			return a, 0, err
		}
	}
	if port != "" {
		if p, err = ParsePort(port); err != nil {
			return a, 0, err
		}
	}
	return a, p, nil
}

// ParsePercentiles reads a comma-separated percentile list ("25,50,99.9").
// An empty entry ("50,,99") or a percentile given twice is refused rather
// than silently dropped: either is a typo whose report would not have the
// columns the user counted on.
func ParsePercentiles(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty --percentiles list: give numbers such as 25,50,75,95,99")
	}
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, fmt.Errorf("invalid --percentiles %q: an entry is empty (two commas in a row, or one at an end)", s)
		}
		p, err := strconv.ParseFloat(f, 64)
		if err != nil || !(p > 0 && p <= 100) {
			return nil, fmt.Errorf("invalid percentile %q: give numbers above 0 and at most 100, e.g. 25,50,75,95,99,99.9", f)
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("invalid --percentiles %q: %s is given twice", s, f)
		}
		out = append(out, p)
	}
	return out, nil
}

// CheckText refuses a user value holding a control character (below 0x20,
// or DEL): pflag's list flags split on commas only, so "8080\n8081" would
// reach a parser that stops at the newline and quietly drop the rest, and
// a terminal would print the value as something else than it is.
func CheckText(flag string, values ...string) error {
	for _, v := range values {
		if i := strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
			return fmt.Errorf("invalid --%s %q: control character %U at byte %d; give printable text", flag, v, v[i], i)
		}
	}
	return nil
}

// CheckArgs applies CheckText to every command-line argument, before
// pflag sees them: its list flags read values as CSV, where a newline ends
// the record and the rest is dropped without a word.
func CheckArgs(args []string) error {
	for _, a := range args {
		if err := CheckText("", a); err != nil {
			return fmt.Errorf("invalid argument %q: control characters (below 0x20, or DEL) are not accepted in any value; give printable text", a)
		}
	}
	return nil
}

// ParseKLBase reads --kl-base: "2" (bits) or "e" (nats).
func ParseKLBase(s string) (float64, string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "2":
		return 2, "bits", nil
	case "e":
		return 2.718281828459045, "nats", nil
	}
	return 0, "", fmt.Errorf("invalid --kl-base %q: give 2 (bits) or e (nats)", s)
}

// SignalContext returns a context cancelled on SIGINT, SIGTERM, SIGHUP (the
// terminal went away) and SIGQUIT, so that each kills and reaps tshark and
// removes temporary files before the program exits.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
}

// Describe turns an error into the one line a user reads: what is wrong
// and what to do about it.
func Describe(err error) string {
	var (
		nf     *tshark.NotFoundError
		old    *tshark.TooOldError
		exit   *tshark.ExitError
		ferr   *parse.FormatError
		perr   *os.PathError
		same   *outfile.SameFileError
		oerr   *outfile.Error
		dup    *input.DuplicateError
		notReg *input.NotRegularError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted; no report"
	case errors.As(err, &nf), errors.As(err, &old):
		return err.Error()
	case errors.As(err, &same), errors.As(err, &oerr), errors.As(err, &dup),
		errors.As(err, &notReg), errors.Is(err, input.ErrTerminal):
		// Already worded for the user, and before the os.PathError
		// cases: an outfile.Error wraps one.
		return err.Error()
	case errors.Is(err, capfile.ErrNotCapture):
		return fmt.Sprintf("%v; give a pcap or pcapng file", err)
	case errors.Is(err, capfile.ErrEmpty):
		return fmt.Sprintf("%v; there is nothing to measure (was the capture stopped before any traffic?)", err)
	case errors.Is(err, capfile.ErrTruncated):
		return fmt.Sprintf("%v; the file is damaged before its first packet, recapture or recover it", err)
	case errors.Is(err, os.ErrNotExist) && errors.As(err, &perr):
		return fmt.Sprintf("%s: no such file; check the path", perr.Path)
	case errors.Is(err, os.ErrPermission) && errors.As(err, &perr):
		return fmt.Sprintf("%s: permission denied; make the file readable", perr.Path)
	case errors.As(err, &exit):
		return fmt.Sprintf("%v; run the same file through `tshark -r FILE` to see tshark's full complaint", err)
	case errors.As(err, &ferr):
		return fmt.Sprintf("%v; is --tshark / $TSHARK a real tshark? (pcapmeter needs %s or newer)", err, tshark.MinVersion)
	}
	return err.Error()
}

// NoHTTPHint explains an empty result for a selection.
func NoHTTPHint(opt httplat.Options) string {
	var sel string
	switch {
	case opt.Server.IsValid() && opt.Port != 0:
		sel = fmt.Sprintf("to or from %s", netip.AddrPortFrom(opt.Server, opt.Port))
	case opt.Server.IsValid():
		sel = fmt.Sprintf("to or from %s", opt.Server)
	case opt.Port != 0:
		sel = fmt.Sprintf("on port %d", opt.Port)
	default:
		return "no HTTP request or response in the capture; if HTTP runs on a port tshark does not dissect as HTTP, name it with --http-port PORT (HTTPS needs the TLS key log: --keylog FILE)"
	}
	return fmt.Sprintf("no HTTP request or response %s; check the server address and port (`pcapmeter http FILE` lists every server found)", sel)
}

// TLSHint explains a result without HTTP whose capture is TLS that no key
// log decrypted, and how to get one, or whose TLS was all decrypted and
// carries something else; "" when that is not the case.
func TLSHint(res *httplat.Result) string {
	if res == nil || res.TLS == nil || res.TLS.Connections == 0 {
		return ""
	}
	if res.TLS.Decrypted == res.TLS.Connections {
		// The generic hint would ask for the key log just given.
		return fmt.Sprintf("no HTTP request or response in the capture: its %d TLS connection(s) were all decrypted and carry no HTTP (another protocol inside TLS?)", res.TLS.Connections)
	}
	t := res.TLS
	var servers []string
	for _, s := range t.Servers {
		servers = append(servers, fmt.Sprintf("%s (%d)", s.Server, s.Connections))
	}
	var names []string
	for n := range t.SNI {
		names = append(names, n)
	}
	sort.Strings(names)
	sni := ""
	if len(names) > 0 {
		sni = ", server names " + strings.Join(names, ", ")
	}
	what := httplat.KeyLogHowTo
	if t.KeyLog {
		what = "the key log holds no keys for " + t.UndecryptedNames() +
			" (keys of other TLS sessions: another capture, or another client's log?); " + what
	}
	return fmt.Sprintf("the capture is encrypted: %d TLS connections to %s%s, %d decrypted; no latency can be measured from encrypted records; %s",
		t.Connections, strings.Join(servers, ", "), sni, t.Decrypted, what)
}

// Fail prints "prog: msg" on w.
func Fail(w io.Writer, prog, msg string) {
	fmt.Fprintf(w, "%s: %s\n", prog, msg)
}
