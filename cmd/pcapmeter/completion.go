package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// command is one subcommand as completion sees it: its flags come from
// the options struct the subcommand itself parses with, so a new flag is
// completed without touching this file; values lists the flags whose
// values are a closed set (the rest complete as file names).
type command struct {
	name, summary string
	flags         func(fs *pflag.FlagSet)
	values        map[string][]string
}

var reportFormats = func(f ...string) map[string][]string { return map[string][]string{"format": f} }

// commands is the completion table, in usage order.
var commands = []command{
	{"http", "HTTP request/response latency per server", (&httpOptions{}).AddFlags, reportFormats("text", "json", "csv", "jsonl")},
	{"tcp", "TCP connection performance", (&tcpOptions{}).AddFlags, reportFormats("text", "json", "csv")},
	{"icmp", "ICMP echo (ping) metrics per node", (&icmpOptions{}).AddFlags, reportFormats("text", "json", "csv", "nssa")},
	{"summary", "what is in a capture", (&summaryOptions{}).AddFlags, reportFormats("text", "json", "csv")},
	{"export", "one CSV row per packet", (&exportOptions{}).AddFlags, map[string][]string{"time": {"relative", "epoch", "iso"}}},
}

// shells are the completion scripts pcapmeter writes.
var shells = []string{"bash", "zsh", "fish"}

// flagInfo is one flag of a subcommand.
type flagInfo struct {
	long, short, usage string
	value              bool // takes a value
}

// flagsOf lists c's flags (and --help), sorted by name as pflag keeps them.
func flagsOf(c command) []flagInfo {
	fs := newFlags(c.name)
	c.flags(fs)
	out := []flagInfo{}
	fs.VisitAll(func(f *pflag.Flag) {
		_, usage := pflag.UnquoteUsage(f)
		usage, _, _ = strings.Cut(usage, " (")
		out = append(out, flagInfo{f.Name, f.Shorthand, usage, f.NoOptDefVal == "" && f.Value.Type() != "bool"})
	})
	return append(out, flagInfo{"help", "h", "show the command's flags", false})
}

// completionUsage is `pcapmeter completion --help`.
const completionUsage = `Usage: pcapmeter completion bash|zsh|fish

Writes the shell completion script for pcapmeter's commands and flags.
  source <(pcapmeter completion bash)     bash (zsh: the same, after compinit)
  pcapmeter completion fish | source      fish
or save the output where your shell loads completions.
`

// runCompletion writes the completion script of the shell args names.
func runCompletion(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprint(stdout, completionUsage)
			return 0
		}
	}
	if len(args) != 1 {
		return usageError(stderr, "pcapmeter completion", "give one shell: bash, zsh or fish")
	}
	switch args[0] {
	case "bash":
		writeBash(stdout)
	case "zsh":
		writeZsh(stdout)
	case "fish":
		writeFish(stdout)
	default:
		return usageError(stderr, "pcapmeter completion", fmt.Sprintf("no completion for %q: bash, zsh or fish", args[0]))
	}
	return 0
}

// topWords are the words completed after `pcapmeter`.
func topWords() []string {
	var w []string
	for _, c := range commands {
		w = append(w, c.name)
	}
	return append(w, "help", "completion", "--version")
}

func commandNames() string {
	var w []string
	for _, c := range commands {
		w = append(w, c.name)
	}
	return strings.Join(w, " ")
}
