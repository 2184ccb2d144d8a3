package chart

import (
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
)

// maxLabels bounds the labelled ticks of an axis: more overlap at the
// panel widths used here.
const maxLabels = 8

// logTicks marks a log axis. Plain numbers get 1, 2 and 5 times each
// power of ten (gonum's LogTicks labels powers of ten only, so an axis
// spanning less than a decade gets no label); durations get the same up
// to 20 s and then calendar steps (1min, 10min, 1h, 1d, 7d, 30d, 1y), so
// an inter-arrival axis spanning microseconds to years reads in units a
// person knows rather than as 3.2e+07.
type logTicks struct{ duration bool }

type candidate struct {
	v     float64
	major bool
}

// Above this many decades the minor ticks are left out: they would be a
// smear of lines.
const maxMinorDecades = 30

// labelBudget bounds the characters of an axis' labels together, so that
// long ones ("1e-224s") are spaced out further than short ones ("1ms").
const labelBudget = 36

func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	decades := math.Log10(hi / lo)
	minors := decades <= maxMinorDecades
	labelAll := decades <= 1.5
	var ts []plot.Tick
	var labelled []int
	chars := 0
	for _, c := range t.candidates(lo, hi, minors) {
		ts = append(ts, plot.Tick{Value: c.v})
		if labelAll || c.major {
			labelled = append(labelled, len(ts)-1)
			chars += len(t.label(c.v))
		}
	}
	// Thin the labels evenly when there are too many (a span of 600
	// decades); far too many ticks are dropped, not drawn as a black bar.
	step := max(1, (len(labelled)+maxLabels-1)/maxLabels, (chars+labelBudget-1)/labelBudget)
	for k, i := range labelled {
		if k%step == 0 {
			ts[i].Label = t.label(ts[i].Value)
		}
	}
	if !minors {
		ts = slices.DeleteFunc(ts, func(tk plot.Tick) bool { return tk.Label == "" })
	}
	return t.labelEnds(ts, lo, hi)
}

// labelEnds makes sure a narrow axis (all samples within a factor of
// four), which may hold one candidate or none, gets two labels: with none,
// both ends; with one, the end farther from it.
func (t logTicks) labelEnds(ts []plot.Tick, lo, hi float64) []plot.Tick {
	var only []float64
	for _, tk := range ts {
		if tk.Label != "" {
			only = append(only, tk.Value)
		}
	}
	switch len(only) {
	case 0:
		return append(ts, plot.Tick{Value: lo, Label: t.label(lo)}, plot.Tick{Value: hi, Label: t.label(hi)})
	case 1:
		end := lo
		if math.Log(hi/only[0]) > math.Log(only[0]/lo) {
			end = hi
		}
		return append(ts, plot.Tick{Value: end, Label: t.label(end)})
	}
	return ts
}

func (t logTicks) label(v float64) string {
	if t.duration {
		return tickDuration(v)
	}
	return tickNumber(v)
}

// candidates lists the tick values in [lo, hi], ascending.
func (t logTicks) candidates(lo, hi float64, minors bool) []candidate {
	var cs []candidate
	add := func(v float64, major bool) {
		if v >= lo*(1-1e-12) && v <= hi*(1+1e-12) && (major || minors) {
			cs = append(cs, candidate{v, major})
		}
	}
	// Durations switch to calendar steps from a minute (50 s would crowd
	// 1min) to a thousand years, and back to powers of ten beyond.
	calendar := func(v float64) bool { return t.duration && v >= 50 && v < 1e3*year }
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		p := math.Pow(10, e)
		for _, m := range []float64{1, 2, 5} {
			if !calendar(m * p) {
				add(m*p, m == 1)
			}
		}
	}
	if t.duration && hi >= 60 {
		for _, c := range calendarSteps(hi) {
			add(c.v, c.major)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].v < cs[j].v })
	return cs
}

const year = 365.25 * 86400

// calendarSteps are the duration ticks from a minute to a thousand years,
// up to hi.
func calendarSteps(hi float64) []candidate {
	const (
		minute = 60
		hour   = 3600
		day    = 86400
	)
	cs := []candidate{
		{minute, true}, {2 * minute, false}, {5 * minute, false}, {10 * minute, true}, {30 * minute, false},
		{hour, true}, {2 * hour, false}, {6 * hour, false}, {12 * hour, false},
		{day, true}, {2 * day, false}, {7 * day, true}, {30 * day, true}, {91 * day, false}, {182 * day, false},
	}
	for p := float64(year); p < 1e3*year && p/2 <= hi; p *= 10 {
		cs = append(cs, candidate{p, true}, candidate{2 * p, false}, candidate{5 * p, false})
	}
	return cs
}

// log10Ticks marks an axis that carries log10 of the data with the
// ticks of the data itself.
type log10Ticks struct{ logTicks }

func (t log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	ts := t.logTicks.Ticks(math.Pow(10, lo), math.Pow(10, hi))
	for i := range ts {
		ts[i].Value = math.Log10(ts[i].Value)
	}
	return ts
}

// numberTicks is gonum's DefaultTicks (nice steps of 1, 2, 5) with labels
// that carry as many decimals as the step needs, no more: "0 25 50", not
// "0.00 25.00 50.00".
type numberTicks struct{}

func (numberTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	var major []float64
	for _, t := range ts {
		if t.Label != "" {
			major = append(major, t.Value)
		}
	}
	if len(major) < 2 {
		return ts
	}
	step := math.Abs(major[1] - major[0])
	dec := 0
	for ; dec < 15; dec++ { // the fewest decimals that write the step exactly
		v := step * math.Pow10(dec)
		if math.Abs(v-math.Round(v)) < 1e-6*math.Max(1, v) {
			break
		}
	}
	a := math.Max(math.Abs(lo), math.Abs(hi))
	for i := range ts {
		if ts[i].Label == "" {
			continue
		}
		if a >= 1e6 || a < 1e-4 {
			ts[i].Label = compactExp(ts[i].Value)
		} else {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', dec, 64)
		}
	}
	return ts
}
