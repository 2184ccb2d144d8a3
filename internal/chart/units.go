package chart

import (
	"math"
	"strconv"
	"strings"
)

// unit is a display unit: a value in seconds (or bytes) divided by scale
// reads in name.
type unit struct {
	name  string
	scale float64
}

// Short durations are read in SI steps, so that 38 µs does not read as
// 0.000038 s on an axis.
var shortUnits = []unit{{"ns", 1e-9}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}}

// Long spans are read in calendar steps: a capture spanning three days is
// read in hours, not in 259200 seconds.
var longUnits = []unit{{"min", 60}, {"h", 3600}, {"d", 86400}, {"y", 365.25 * 86400}}

// latencyUnit picks the unit in which ref (seconds, the largest magnitude
// on the axis) reads at least 1, from ns to s: latencies beyond a minute
// stay in seconds, which is what people compare them with.
func latencyUnit(ref float64) unit {
	ref = math.Abs(ref)
	if ref == 0 {
		return shortUnits[len(shortUnits)-1] // nothing to scale: say seconds
	}
	for i := len(shortUnits) - 1; i > 0; i-- {
		if ref >= shortUnits[i].scale {
			return shortUnits[i]
		}
	}
	return shortUnits[0]
}

// spanUnit picks the unit of a time axis from its span (seconds): up to
// five minutes in seconds (ms below a second), then minutes up to five
// hours, hours up to five days, days up to two years, then years.
func spanUnit(span float64) unit {
	switch {
	case span < 1:
		return latencyUnit(span)
	case span <= 300:
		return unit{"s", 1}
	case span <= 5*3600:
		return longUnits[0]
	case span <= 5*86400:
		return longUnits[1]
	case span <= 2*365.25*86400:
		return longUnits[2]
	}
	return longUnits[3]
}

// byteUnit picks a decimal (SI) byte unit for ref, as network rates are
// quoted.
func byteUnit(ref float64) unit {
	us := []unit{{"B", 1}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}}
	ref = math.Abs(ref)
	for i := len(us) - 1; i > 0; i-- {
		if ref >= us[i].scale {
			return us[i]
		}
	}
	return us[0]
}

// sig3 formats v with three significant digits and no exponent inside
// [1e-4, 1e6), trimming nothing: "11.0", "0.204", "38.2".
func sig3(v float64) string {
	a := math.Abs(v)
	if a == 0 {
		return "0"
	}
	if a < 1e-4 || a >= 1e6 {
		return compactExp(v)
	}
	dec := max(0, 2-int(math.Floor(math.Log10(a))))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// compactExp writes v as 1.5e-7 rather than Go's 1.5e-07.
func compactExp(v float64) string {
	s := strconv.FormatFloat(v, 'g', 3, 64)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := ""
		if exp[0] == '-' || exp[0] == '+' {
			if exp[0] == '-' {
				sign = "-"
			}
			exp = exp[1:]
		}
		exp = strings.TrimLeft(exp, "0")
		if exp == "" {
			exp = "0"
		}
		return mant + "e" + sign + exp
	}
	return s
}

// fmtDuration writes a duration in seconds with its unit and three
// significant digits: "38.2 µs", "11.0 ms", "2.50 min".
func fmtDuration(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return strconv.FormatFloat(sec, 'g', -1, 64)
	}
	if sec == 0 {
		return "0 s"
	}
	u := latencyUnit(sec)
	if a := math.Abs(sec); a >= 60 {
		u = longUnits[0]
		for _, l := range longUnits[1:] {
			if a >= l.scale {
				u = l
			}
		}
	}
	return sig3(sec/u.scale) + " " + u.name
}

// tickNumber labels a tick on a log number axis: three significant
// digits at most, a compact exponent far from 1 ("1e-5").
func tickNumber(v float64) string { return fmtNumber(v) }

// tickDuration labels a tick on a log duration axis without a space, so
// that dense labels stay short: "100µs", "1min", "7d".
func tickDuration(sec float64) string {
	if sec < 1e-9 || sec >= 1e3*year { // beyond the calendar steps
		return compactExp(sec) + "s"
	}
	return strings.ReplaceAll(fmtDurationShort(sec), " ", "")
}

// fmtDurationShort is fmtDuration without trailing zeros, for tick
// values that are round by construction.
func fmtDurationShort(sec float64) string {
	num, name, _ := strings.Cut(fmtDuration(sec), " ")
	return trimZeros(num) + " " + name
}

// fmtNumber is sig3 without trailing zeros: a packet size of 60 reads
// "60", not "60.0".
func fmtNumber(v float64) string { return trimZeros(sig3(v)) }

func trimZeros(num string) string {
	if strings.Contains(num, ".") && !strings.Contains(num, "e") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num
}
