// Command bench measures pcapmeter against tshark on a large generated
// capture and prints one table from a single run (make bench):
//
//   - bare tshark printing the same fields (-T fields) to /dev/null,
//   - the dissection floor (tshark -q -Y http, no output),
//   - tshark as pcapmeter runs it, alone and two copies at once (the
//     machine's parallel ceiling),
//   - pcapmeter http --jobs 1 and --jobs 2,
//   - the classic scapy approach (rdpcap + HTTP layer) on a 100k-packet
//     prefix, when Debian's python3-scapy is installed;
//
// then the scaling table of http (scaling.go) and the table of the other
// subcommands against their peers (subcommands.go; -subcommands-only runs
// it alone, for a quiet machine).
//
// Captures are generated with pcapsynth into .cache/ (not committed) and
// reused. Rates are packets per second of wall time; peak RSS of tshark is
// its own, of pcapmeter its own (with its largest tshark beside it).
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/tshark"
)

type row struct {
	name       string
	packets    int64
	wall       time.Duration
	rss, child int64         // kB
	cpu        time.Duration // user+sys of the commands and the tsharks they ran
	note       string
}

func main() {
	conns := flag.Int("conns", 13000, "connections in the generated capture (×20 exchanges; 13000 ≈ 1.02M packets)")
	bin := flag.String("bin", "bin", "folder with pcapmeter and pcapsynth")
	nreps := flag.Int("reps", 3, "interleaved runs of the rows whose ratios are targets (medians reported)")
	sizes := flag.String("scaling", "3800,13000,39000", "connections of the captures the scaling table runs on (≈300k, 1M, 3M packets); empty: none")
	only := flag.Bool("scaling-only", false, "print only the scaling table")
	subSizes := flag.String("subcommands", "6400,25600", "connections of the captures the subcommands table (tcp, summary, export, icmp against their peers) runs on (≈500k, 2M packets); empty: none")
	subOnly := flag.Bool("subcommands-only", false, "print only the subcommands table")
	flag.Parse()
	if *subOnly {
		subcommandTable(*bin, connList(*subSizes), *nreps)
		return
	}
	if *only {
		scaling(*bin, connList(*sizes), *nreps)
		return
	}
	defer subcommandTable(*bin, connList(*subSizes), *nreps)
	defer scaling(*bin, connList(*sizes), *nreps)
	if err := os.MkdirAll(".cache", 0o755); err != nil {
		log.Fatal(err)
	}
	capPath := filepath.Join(".cache", fmt.Sprintf("bench-%dconns.pcapng", *conns))
	if _, err := os.Stat(capPath); err != nil {
		run(exec.Command(filepath.Join(*bin, "pcapsynth"), "-o", capPath, "-conns", strconv.Itoa(*conns), "-per-conn", "20", "-body-max", "3000", "-no-truth"))
	}
	pkts := count(capPath)
	fmt.Printf("capture: %s, %d packets\n\n", capPath, pkts)

	var rows []row
	args, _ := tshark.Args(tshark.Spec{Input: capPath, Fields: http1.Fields, Mode: tshark.Fields, DisplayFilter: http1.DisplayFilter,
		Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
	floor := measure("dissection floor: tshark -q -Y http", pkts, exec.Command("tshark", "-n", "-q", "-r", capPath, "-Y", "http"))
	// The machine's own parallel ceiling: pcapmeter's tshark command (custom
	// columns) alone, then two copies at once, each on the whole file.
	// Two independent processes cannot scale better than this, so it is
	// the bound for --jobs 2 over --jobs 1.
	// Its columns are the shards' (http1.JoinFields: the splitter supplies
	// the packet headers), over the whole file, plain ACKs included.
	cols, _ := tshark.Args(tshark.Spec{Input: capPath, Fields: http1.JoinFields, Mode: tshark.Columns, DisplayFilter: http1.DisplayFilter,
		Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
	//
	// This machine's speed drifts by ±20 % over minutes (a shared VM), so
	// the five rows whose ratios are the targets run interleaved -reps
	// times; each reports its median, and the ratios are also given run by
	// run (a run's rows are close in time).
	pm := func(j string) *exec.Cmd {
		return exec.Command(filepath.Join(*bin, "pcapmeter"), "http", capPath, "--jobs", j, "--stats", "-q", "-f", "json")
	}
	reps := make([][]row, 5)
	for i := 0; i < *nreps; i++ {
		reps[0] = append(reps[0], measure("bare tshark -T fields (same fields)", pkts, exec.Command("tshark", args...)))
		reps[1] = append(reps[1], measure("tshark as pcapmeter runs it (columns)", pkts, exec.Command("tshark", cols...)))
		reps[2] = append(reps[2], measure("  same, two copies at once (2× packets)", 2*pkts, exec.Command("tshark", cols...), exec.Command("tshark", cols...)))
		reps[3] = append(reps[3], measure("pcapmeter http --jobs 1", pkts, pm("1")))
		reps[4] = append(reps[4], measure("pcapmeter http --jobs 2", pkts, pm("2")))
	}
	rows = append(rows, median(reps[0]), floor)
	for _, r := range reps[1:] {
		rows = append(rows, median(r))
	}
	alone, pair, j1, j2 := rows[len(rows)-4], rows[len(rows)-3], rows[len(rows)-2], rows[len(rows)-1]
	if err := exec.Command("/usr/bin/python3", "-c", "import scapy").Run(); err == nil {
		prefix := filepath.Join(".cache", "bench-prefix-100k.pcap")
		if _, err := os.Stat(prefix); err != nil {
			run(exec.Command("editcap", "-F", "pcap", "-r", capPath, prefix, "1-100000"))
		}
		rows = append(rows, measure("scapy rdpcap + HTTP layer (100k prefix)", 100000, exec.Command("/usr/bin/python3", "-c", scapyScript, prefix)))
	} else {
		rows = append(rows, row{name: "scapy (python3-scapy not installed)", note: "skipped"})
	}
	base := rows[0] // the median bare run
	fmt.Printf("%-42s %10s %12s %9s %12s %14s\n", "what", "wall s", "packets/s", "× bare", "peak RSS MB", "its tshark MB")
	for _, r := range rows {
		if r.note == "skipped" {
			fmt.Printf("%-42s %10s\n", r.name, "skipped")
			continue
		}
		rate := float64(r.packets) / r.wall.Seconds()
		ratio := r.wall.Seconds() / base.wall.Seconds() * float64(base.packets) / float64(r.packets)
		child := "-"
		if r.child > 0 {
			child = fmt.Sprintf("%.0f", float64(r.child)/1024)
		}
		fmt.Printf("%-42s %10.2f %12.0f %9.2f %12.0f %14s\n", r.name, r.wall.Seconds(), rate, ratio, float64(r.rss)/1024, child)
	}
	fmt.Printf("\n× bare: wall time per packet relative to bare tshark -T fields (lower is faster)\n")
	if *nreps > 1 {
		fmt.Printf("bare tshark, tshark as pcapmeter runs it (alone, two copies) and pcapmeter --jobs 1 and 2 are medians of %d interleaved runs; the floor and scapy are one run\n", *nreps)
		for _, r := range reps {
			fmt.Printf("  %-40s", strings.TrimSpace(r[0].name))
			for _, x := range r {
				fmt.Printf(" %7.2f", x.wall.Seconds())
			}
			fmt.Println(" s")
		}
		per := func(name string, f func(i int) float64) {
			fmt.Printf("  %-40s", name)
			for i := range reps[0] {
				fmt.Printf(" %7.2f", f(i))
			}
			fmt.Println()
		}
		w := func(k, i int) float64 { return reps[k][i].wall.Seconds() }
		per("run by run: --jobs 1 / bare", func(i int) float64 { return w(3, i) / w(0, i) })
		per("run by run: --jobs 1 / --jobs 2", func(i int) float64 { return w(3, i) / w(4, i) })
		per("run by run: ceiling (2 × alone / two)", func(i int) float64 { return 2 * w(1, i) / w(2, i) })
	}
	fmt.Printf("--jobs 2 is %.2f× faster than --jobs 1; this machine's ceiling for two tsharks at once is %.2f× (two copies vs one)\n",
		j1.wall.Seconds()/j2.wall.Seconds(), 2*alone.wall.Seconds()/pair.wall.Seconds())
}

// connList reads a comma-separated list of connection counts.
func connList(list string) []int {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			ns = append(ns, n)
		}
	}
	return ns
}

func run(c *exec.Cmd) {
	c.Stderr = os.Stderr
	if err := c.Run(); err != nil {
		log.Fatalf("%v: %v", c.Args, err)
	}
}

func count(path string) int64 {
	out, err := exec.Command("capinfos", "-c", "-M", "-T", "-r", path).Output()
	if err != nil {
		log.Fatal(err)
	}
	f := strings.Fields(string(out))
	n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
	return n
}

var statsRE = regexp.MustCompile(`pcapmeter peak RSS (\d+) kB, largest tshark peak RSS (\d+) kB`)

// measure runs cmds side by side; the row's wall time is until the last
// ends, its RSS the largest.
func measure(name string, pkts int64, cmds ...*exec.Cmd) row {
	stderrs := make([]bytes.Buffer, len(cmds))
	start := time.Now()
	for i, c := range cmds {
		c.Stdout, c.Stderr = nil, &stderrs[i]
		if err := c.Start(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
	}
	r := row{name: name, packets: pkts}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			log.Fatalf("%s: %v\n%s", name, err, stderrs[i].String())
		}
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.rss = max(r.rss, ru.Maxrss)
		}
		r.cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	}
	r.wall = time.Since(start)
	sc := bufio.NewScanner(&stderrs[0])
	for sc.Scan() {
		if m := statsRE.FindStringSubmatch(sc.Text()); m != nil {
			r.rss, _ = strconv.ParseInt(m[1], 10, 64)
			r.child, _ = strconv.ParseInt(m[2], 10, 64)
		}
	}
	return r
}

const scapyScript = `
import sys
from scapy.all import rdpcap, load_layer
load_layer("http")
from scapy.layers.http import HTTPRequest, HTTPResponse
pk = rdpcap(sys.argv[1])
req = sum(1 for p in pk if p.haslayer(HTTPRequest))
resp = sum(1 for p in pk if p.haslayer(HTTPResponse))
print(req, resp)
`

// median returns the run with the median wall time (the lower middle one
// for an even count).
func median(rs []row) row {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b row) int { return cmp.Compare(a.wall, b.wall) })
	return sorted[(len(sorted)-1)/2]
}
