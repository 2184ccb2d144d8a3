package main

import (
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestTCPGolden(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cases := []struct {
		name string
		args []string
	}{
		{"tcp-loss.text", []string{"tcp", td("synth-loss-reorder.pcapng")}},
		{"tcp-loss.csv", []string{"tcp", td("synth-loss-reorder.pcapng"), "--format", "csv"}},
		{"tcp-gaps-stream1.json", []string{"tcp", td("synth-loss-reorder.pcapng"), "--gaps", "--stream", "1", "--format", "json"}},
		{"tcp-pipelined-v6.text", []string{"tcp", td("pipelined-v6-port6000.pcapng"), "--server", "::1", "--port", "6000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errs := pcapmeter(t, c.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d %q", code, errs)
			}
			golden(t, c.name, out)
		})
	}
}

func TestTCPErrors(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"tcp"}, 2, "give a capture file"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--stream", "-1"}, 2, "invalid --stream"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--stream", "99"}, 1, "no TCP connection matches"},
		{[]string{"tcp", td("synth-loss-reorder.pcapng"), "--server", "10.0.0.256"}, 2, "invalid IP address"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errs := pcapmeter(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d %q; want %d %q", code, errs, c.code, c.msg)
			}
		})
	}
}
