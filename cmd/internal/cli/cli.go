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
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
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
func ParsePercentiles(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := strconv.ParseFloat(f, 64)
		if err != nil || !(p > 0 && p <= 100) {
			return nil, fmt.Errorf("invalid percentile %q: give numbers above 0 and at most 100, e.g. 25,50,75,95,99,99.9", f)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty percentile list")
	}
	return out, nil
}

// ExpandFiles expands the capture arguments: a name that exists is kept
// as given, and one that does not but holds a wildcard (*, ?, [) is a glob
// expanded in name order (dumpcap's ring-buffer files sort by index that
// way). Shells expand globs already; this covers quoted patterns and
// shells that do not, and a pattern that matches nothing is an error
// rather than a file called "*.pcap".
func ExpandFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if _, err := os.Lstat(a); err == nil || !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("invalid file pattern %q: %v", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no file matches %q", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

// CheckUnique refuses a capture named twice, where merging would count
// every exchange twice (pcapmeter icmp may read one capture for two nodes).
func CheckUnique(files []string) error {
	seen := map[string]bool{}
	for _, f := range files {
		c := filepath.Clean(f)
		if seen[c] {
			return fmt.Errorf("%s is given twice (check overlapping patterns)", f)
		}
		seen[c] = true
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

// SignalContext returns a context cancelled on SIGINT/SIGTERM, so that a
// Ctrl-C kills and reaps tshark before the program exits.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Describe turns an error into the one line a user reads: what is wrong
// and what to do about it.
func Describe(err error) string {
	var (
		nf   *tshark.NotFoundError
		old  *tshark.TooOldError
		exit *tshark.ExitError
		ferr *parse.FormatError
		perr *os.PathError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted; no report"
	case errors.As(err, &nf), errors.As(err, &old):
		return err.Error()
	case errors.Is(err, capfile.ErrNotCapture):
		return fmt.Sprintf("%v; give a pcap or pcapng file (tshark -F pcapng -w OUT -r IN converts most other formats)", err)
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
// log decrypted, and how to get one; "" when that is not the case.
func TLSHint(res *httplat.Result) string {
	if res == nil || res.TLS == nil || res.TLS.Decrypted == res.TLS.Connections {
		return ""
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
	return fmt.Sprintf("the capture is encrypted: %d TLS connections to %s%s, %d decrypted; no latency can be measured from encrypted records. "+
		"Record the TLS key log with the traffic (SSLKEYLOGFILE=keys.log for curl, Firefox and Chrome; tls.Config.KeyLogWriter in Go) and pass --keylog keys.log",
		t.Connections, strings.Join(servers, ", "), sni, t.Decrypted)
}

// Fail prints "prog: msg" on w.
func Fail(w io.Writer, prog, msg string) {
	fmt.Fprintf(w, "%s: %s\n", prog, msg)
}
