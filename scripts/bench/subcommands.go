package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/export"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// subcommand is one row of the subcommands table: a pcapmeter command and
// its natural peer on the same capture.
type subcommand struct {
	name string
	pm   func(capPath string) *exec.Cmd
	peer func(capPath string) *exec.Cmd
	icmp bool // runs on the ICMP capture
}

// subcommands are issue 13's rows (requirement 6): each pcapmeter
// subcommand against the tool that answers the nearest question, run
// interleaved on the same capture. Targets: icmp ≤ 1.5× icmp,srt, tcp ≤
// 1.5× conv,tcp, export ≤ 1.05× the same columns from tshark; peak RSS
// at 2M packets ≤ 1.25× the peak at 500k (pcapmeter and its largest
// tshark).
func subcommands(bin string) []subcommand {
	pm := func(args ...string) func(string) *exec.Cmd {
		return func(p string) *exec.Cmd {
			return exec.Command(filepath.Join(bin, "pcapmeter"), append(append([]string{args[0], p}, args[1:]...), "-q", "--stats", "--jobs", "1")...)
		}
	}
	exportArgs := func(p string) *exec.Cmd {
		cols, _ := export.PacketList("relative")
		args, _ := tshark.Args(tshark.Spec{Input: p, Fields: cols.Fields, Mode: tshark.Fields})
		return exec.Command("tshark", args...)
	}
	return []subcommand{
		{"tcp", pm("tcp", "-f", "json"), func(p string) *exec.Cmd { return exec.Command("tshark", "-n", "-q", "-z", "conv,tcp", "-r", p) }, false},
		{"summary", pm("summary", "-f", "json"), func(p string) *exec.Cmd { return exec.Command("capinfos", p) }, false},
		{"export", pm("export"), exportArgs, false},
		{"icmp", pm("icmp", "-f", "json"), func(p string) *exec.Cmd { return exec.Command("tshark", "-n", "-q", "-z", "icmp,srt", "-r", p) }, true},
	}
}

// subcommandTable prints, for each capture size (HTTP connections; the
// ICMP capture gets about as many packets), each subcommand's row and its
// peer's, reps times interleaved (medians), then the peak-RSS ratio of
// the largest size to the smallest.
func subcommandTable(bin string, sizes []int, reps int) {
	fmt.Printf("\nsubcommands against their peers (--jobs 1; medians of %d interleaved runs; RSS MB: pcapmeter's own, its largest tshark's)\n", reps)
	fmt.Printf("%-9s %-8s %9s %8s %8s %9s | %-10s %8s %8s %8s | %8s\n", "packets", "command", "wall s", "cpu s", "pm RSS", "tshark", "peer", "wall s", "cpu s", "RSS", "× peer")
	cmds := subcommands(bin)
	peak := map[string][]row{}
	for _, conns := range sizes {
		httpCap, icmpCap := benchCaptures(bin, conns)
		pm := make([][]row, len(cmds))
		peers := make([][]row, len(cmds))
		for i := 0; i < reps; i++ {
			for c, sc := range cmds {
				p := httpCap
				if sc.icmp {
					p = icmpCap
				}
				pm[c] = append(pm[c], measure(sc.name, 0, sc.pm(p)))
				peers[c] = append(peers[c], measure(sc.name+" peer", 0, sc.peer(p)))
			}
		}
		for c, sc := range cmds {
			p := httpCap
			if sc.icmp {
				p = icmpCap
			}
			a, b := median(pm[c]), median(peers[c])
			peak[sc.name] = append(peak[sc.name], a)
			fmt.Printf("%-9d %-8s %9.2f %8.2f %8.0f %9.0f | %-10s %8.2f %8.2f %8.0f | %8.2f\n", count(p), sc.name,
				a.wall.Seconds(), a.cpu.Seconds(), mb(a.rss), mb(a.child), peerName(sc.name), b.wall.Seconds(), b.cpu.Seconds(), mb(b.rss),
				a.wall.Seconds()/b.wall.Seconds())
		}
	}
	if len(sizes) > 1 {
		fmt.Printf("peak RSS, largest capture / smallest (target ≤ 1.25):")
		for _, sc := range cmds {
			rs := peak[sc.name]
			first, last := rs[0], rs[len(rs)-1]
			fmt.Printf("  %s pcapmeter %.2f, tshark %.2f;", sc.name, float64(last.rss)/float64(first.rss), float64(last.child)/float64(first.child))
		}
		fmt.Println()
	}
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func peerName(name string) string {
	return map[string]string{"tcp": "conv,tcp", "summary": "capinfos", "export": "-T fields", "icmp": "icmp,srt"}[name]
}

// benchCaptures generates (once, into .cache/) the HTTP capture of conns
// connections (≈78 packets each) and an ICMP capture of about as many
// packets.
func benchCaptures(bin string, conns int) (string, string) {
	if err := os.MkdirAll(".cache", 0o755); err != nil {
		log.Fatal(err)
	}
	httpCap := filepath.Join(".cache", fmt.Sprintf("bench-%dconns.pcapng", conns))
	if _, err := os.Stat(httpCap); err != nil {
		run(exec.Command(filepath.Join(bin, "pcapsynth"), "-o", httpCap, "-conns", strconv.Itoa(conns), "-per-conn", "20", "-body-max", "3000", "-no-truth"))
	}
	// -icmp-node writes ≈ 11.5 packets per -per-conn.
	pings := conns * 78 * 2 / 23
	icmpCap := filepath.Join(".cache", fmt.Sprintf("bench-icmp-%d.pcap", pings))
	if _, err := os.Stat(icmpCap); err != nil {
		run(exec.Command(filepath.Join(bin, "pcapsynth"), "-o", icmpCap, "-icmp-node", "192.168.100.1", "-per-conn", strconv.Itoa(pings), "-loss", "0.05"))
	}
	return httpCap, icmpCap
}
