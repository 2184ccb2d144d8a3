// Command pcapmeter turns packet captures into performance reports by
// driving Wireshark's tshark. Subcommands: http (request/response
// latency per server), tcp (per-connection performance), icmp (ping
// metrics per node), summary (whole-trace
// overview) and export (packets as CSV).
//
// Each subcommand has its file: an options struct built from its flags
// (AddFlags, then a method that validates them into the slice's Options),
// one call into its analysis under internal/, the report written by
// cmd/internal/report, and the ending through cli.Exit. Nothing here
// measures.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

const usage = `pcapmeter: performance reports from packet captures (drives Wireshark's tshark)

Usage:
  pcapmeter http FILE... [flags]    HTTP request/response latency per server
  pcapmeter tcp FILE [flags]        TCP connection performance, one line per connection
  pcapmeter icmp FILE... [flags]    ICMP echo (ping) metrics per node
  pcapmeter summary FILE [flags]    what is in a capture: counts, rates, protocols, sizes, RTT
  pcapmeter export FILE [flags]     one CSV row per packet (pandas/R ready)
  pcapmeter help [COMMAND]          this text, or a command's flags
  pcapmeter completion bash|zsh|fish  shell completion (source <(pcapmeter completion bash))

Examples:
  pcapmeter http trace.pcapng
  pcapmeter http trace.pcapng --server 10.0.0.5 --port 8080 --format json

Exit codes: 0 ok, 1 error, 2 usage, 3 partial result (truncated capture), 130 interrupted.
`

func main() {
	// pcapmeter's heap is mostly the latency samples, which live to the
	// end; collecting at 25% growth instead of 100% costs ~6% CPU and keeps
	// its peak near the samples themselves (5M packets: 133 MB, not 264).
	// GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "http":
		return runHTTP(args[1:], stdout, stderr)
	case "icmp":
		return runICMP(args[1:], stdout, stderr)
	case "tcp":
		return runTCP(args[1:], stdout, stderr)
	case "summary":
		return runSummary(args[1:], stdout, stderr)
	case "export":
		return runExport(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "http":
				return runHTTP([]string{"--help"}, stdout, stderr)
			case "icmp":
				return runICMP([]string{"--help"}, stdout, stderr)
			case "tcp":
				return runTCP([]string{"--help"}, stdout, stderr)
			case "summary":
				return runSummary([]string{"--help"}, stdout, stderr)
			case "export":
				return runExport([]string{"--help"}, stdout, stderr)
			case "completion":
				return runCompletion([]string{"--help"}, stdout, stderr)
			}
			// A misspelt topic asked for something else than the
			// overview: say so rather than pass the overview off as it.
			fmt.Fprintf(stderr, "pcapmeter: no help topic %q; topics: http, icmp, tcp, summary, export, completion\n", args[1])
			return 2
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "--version":
		printVersion(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "pcapmeter: unknown command %q; run `pcapmeter help`\n", args[0])
	return 2
}

// Version is pcapmeter's release, set with -ldflags at build time.
var Version = "dev"
