package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// scaling prints, per capture size, the targets of issue 15 from one run:
// the dissection floor (tshark -n -q -Y http), the two-core ceiling (two
// floor tsharks at once, one on each half of the file), pcapmeter --jobs 1
// and --jobs 2, run interleaved reps times (sizes above 2M packets once:
// a run is minutes there), with their ratios run by run and the medians.
// CPU time (user+sys, pcapmeter's including its tsharks') is printed too:
// on a machine others share, wall time measures them as much as us.
func scaling(bin string, sizes []int, reps int) {
	fmt.Printf("\nscaling (wall s; ratios run by run; targets: --jobs 1 / floor ≤ 1.3, --jobs 2 / ceiling ≤ 1.15, --jobs 1 / --jobs 2 ≥ 1.3 at 3M)\n")
	fmt.Printf("%-10s %4s %8s %8s %8s %8s %10s %12s %10s\n", "packets", "run", "floor", "ceiling", "jobs 1", "jobs 2", "j1/floor", "j2/ceiling", "j1/j2")
	for _, conns := range sizes {
		capPath := filepath.Join(".cache", fmt.Sprintf("bench-%dconns.pcapng", conns))
		if _, err := os.Stat(capPath); err != nil {
			run(exec.Command(filepath.Join(bin, "pcapsynth"), "-o", capPath, "-conns", strconv.Itoa(conns), "-per-conn", "20", "-body-max", "3000", "-no-truth"))
		}
		pkts := count(capPath)
		a, b := halves(capPath, pkts)
		floorCmd := func(p string) *exec.Cmd { return exec.Command("tshark", "-n", "-q", "-r", p, "-Y", "http") }
		pm := func(j string) *exec.Cmd {
			return exec.Command(filepath.Join(bin, "pcapmeter"), "http", capPath, "--jobs", j, "-q", "-f", "json")
		}
		n := reps
		if pkts > 2_000_000 {
			n = 1
		}
		var cols [4][]time.Duration
		for i := 0; i < n; i++ {
			rs := [4]row{measure("floor", pkts, floorCmd(capPath)), measure("ceiling", pkts, floorCmd(a), floorCmd(b)),
				measure("jobs 1", pkts, pm("1")), measure("jobs 2", pkts, pm("2"))}
			var ws, cpu [4]time.Duration
			for c := range rs {
				ws[c], cpu[c] = rs[c].wall, rs[c].cpu
				cols[c] = append(cols[c], ws[c])
			}
			printScale(fmt.Sprint(pkts), strconv.Itoa(i+1), ws)
			printScale("  cpu s", strconv.Itoa(i+1), cpu)
		}
		if n > 1 {
			var med [4]time.Duration
			for c := range cols {
				med[c] = medianDur(cols[c])
			}
			printScale(fmt.Sprint(pkts), "med", med)
		}
	}
}

func printScale(pkts, runName string, w [4]time.Duration) {
	s := func(d time.Duration) float64 { return d.Seconds() }
	fmt.Printf("%-10s %4s %8.2f %8.2f %8.2f %8.2f %10.2f %12.2f %10.2f\n", pkts, runName,
		s(w[0]), s(w[1]), s(w[2]), s(w[3]), s(w[2])/s(w[0]), s(w[3])/s(w[1]), s(w[2])/s(w[3]))
}

// halves cuts capPath into its first and second half by packets (cached).
func halves(capPath string, pkts int64) (string, string) {
	a, b := capPath+".half1.pcapng", capPath+".half2.pcapng"
	if _, err := os.Stat(b); err != nil {
		mid := pkts / 2
		run(exec.Command("editcap", "-r", capPath, a, "1-"+strconv.FormatInt(mid, 10)))
		run(exec.Command("editcap", "-r", capPath, b, strconv.FormatInt(mid+1, 10)+"-"+strconv.FormatInt(pkts, 10)))
	}
	return a, b
}

func medianDur(ds []time.Duration) time.Duration {
	rs := make([]row, len(ds))
	for i, d := range ds {
		rs[i].wall = d
	}
	return median(rs).wall
}
