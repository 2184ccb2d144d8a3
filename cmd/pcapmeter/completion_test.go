package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCompletionSyntax: each script parses in its shell (bash -n, zsh -n,
// fish -n; a shell that is not installed is skipped) and names every
// subcommand and every flag of each, taken from the flag sets themselves.
func TestCompletionSyntax(t *testing.T) {
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			code, out, errs := pcapmeter(t, "completion", sh)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d %q", code, errs)
			}
			for _, c := range commands {
				if !strings.Contains(out, c.name) {
					t.Errorf("no %s", c.name)
				}
				for _, f := range flagsOf(c) {
					if !strings.Contains(out, "--"+f.long) && !strings.Contains(out, "-l "+f.long) {
						t.Errorf("%s: no --%s", c.name, f.long)
					}
				}
			}
			bin, err := exec.LookPath(sh)
			if err != nil {
				t.Skipf("%s not installed: structure checked only", sh)
			}
			p := filepath.Join(t.TempDir(), "pcapmeter."+sh)
			os.WriteFile(p, []byte(out), 0o600)
			if b, err := exec.Command(bin, "-n", p).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v: %s", sh, err, b)
			}
		})
	}
}

// TestBashCompletes runs the bash function on typed command lines.
func TestBashCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, script, _ := pcapmeter(t, "completion", "bash")
	p := filepath.Join(t.TempDir(), "c.bash")
	os.WriteFile(p, []byte(script), 0o600)
	cases := []struct{ line, want string }{
		{"pcapmeter su", "summary"},
		{"pcapmeter tcp x.pcap --ga", "--gaps"},
		{"pcapmeter summary x.pcap -f c", "csv"},
		{"pcapmeter icmp --format ns", "nssa"},
		{"pcapmeter export x --time e", "epoch"},
		{"pcapmeter completion f", "fish"},
		{"pcapmeter help ic", "icmp"},
	}
	for _, c := range cases {
		words := strings.Fields(c.line)
		sh := "source " + p + "; COMP_WORDS=(" + strings.Join(words, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "; _pcapmeter; echo \"${COMPREPLY[*]}\""
		out, err := exec.Command(bash, "-c", sh).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("%q: %q %v, want %q", c.line, out, err, c.want)
		}
	}
}

// TestCompletionHelp: the help the error message points to exists.
func TestCompletionHelp(t *testing.T) {
	for _, args := range [][]string{{"completion", "--help"}, {"completion", "-h"}, {"help", "completion"}} {
		if code, out, errs := pcapmeter(t, args...); code != 0 || !strings.Contains(out, "pcapmeter completion bash|zsh|fish") || errs != "" {
			t.Errorf("%q: exit %d %q %q", args, code, out, errs)
		}
	}
}

func TestCompletionErrors(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}} {
		if code, out, errs := pcapmeter(t, args...); code != 2 || out != "" || errs == "" {
			t.Errorf("%q: exit %d %q %q", args, code, out, errs)
		}
	}
}

// TestFishCompletes asks fish what it would complete on typed lines.
func TestFishCompletes(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("no fish")
	}
	_, script, _ := pcapmeter(t, "completion", "fish")
	p := filepath.Join(t.TempDir(), "c.fish")
	os.WriteFile(p, []byte(script), 0o600)
	cases := []struct{ line, want string }{
		{"pcapmeter summary x.pcap --format ", "csv\tjson\ttext"},
		{"pcapmeter tcp --ga", "--gaps"},
	}
	for _, c := range cases {
		out, err := exec.Command(fish, "--no-config", "-c", "source "+p+"; complete -C '"+c.line+"' | cut -f1 | paste -sd '\\t'").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("%q: %q %v, want %q", c.line, out, err, c.want)
		}
	}
}
