package progress

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// state is what one redraw shows.
type state struct {
	label       string
	done, total int64
	count       int64
	unit        string
	elapsed     time.Duration
}

// Bar widths in columns: below minBar a bar says nothing the percentage
// does not; beyond maxBar it only stretches.
const (
	minBar = 10
	maxBar = 40
	sep    = "  "
)

// segment is one piece of the line; the lower its rank, the sooner it is
// dropped to fit a narrow terminal.
type segment struct {
	text string
	rank int
}

// layout writes s as one line of at most width-1 columns: a line that
// fills the last column makes some terminals wrap, and a wrapped line is
// a new line of scrollback at every redraw. Pieces go in order of
// importance: the percentage and the time left stay longest, the label
// goes first.
func layout(s state, width int) string {
	limit := max(1, width-1)
	known := s.total > 0
	done := max(0, s.done)
	if known {
		done = min(done, s.total)
	}
	var segs []segment // in display order
	add := func(text string, rank int) {
		if text != "" {
			segs = append(segs, segment{text, rank})
		}
	}
	add(s.label, 1)
	if known {
		add(fmt.Sprintf("%3.0f%%", 100*float64(done)/float64(s.total)), 7)
	}
	barAt := len(segs) // the bar goes after the percentage
	add(bytesText(done, s.total), 4)
	if s.unit != "" {
		add(countText(s.count, s.unit), 3)
	}
	// Numbers are padded to steady widths, so that the bar does not
	// twitch by a column whenever 9s becomes 10s.
	if sec := s.elapsed.Seconds(); sec > 0 && done > 0 {
		add(fmt.Sprintf("%9s/s", bytesText(int64(float64(done)/sec), 0)), 2)
	}
	add(fmt.Sprintf("elapsed %5s", clock(s.elapsed)), 5)
	if known && done > 0 {
		left := time.Duration(float64(s.elapsed) * float64(s.total-done) / float64(done))
		add(fmt.Sprintf("left %5s", clock(left)), 6)
	}
	for {
		fixed := 0
		for i, g := range segs {
			fixed += utf8.RuneCountInString(g.text)
			if i > 0 {
				fixed += len(sep)
			}
		}
		room := limit - fixed - len(sep) // the bar, brackets included, and its separator
		if known && room >= minBar {
			return join(segs, barAt, bar(done, s.total, min(room, maxBar)))
		}
		if fixed <= limit && (!known || len(segs) <= 2) {
			return join(segs, -1, "")
		}
		if len(segs) == 1 {
			return truncate(segs[0].text, limit)
		}
		segs, barAt = drop(segs, barAt)
	}
}

// drop removes the lowest-ranked segment, keeping barAt on the segment it
// followed.
func drop(segs []segment, barAt int) ([]segment, int) {
	low := 0
	for i, g := range segs {
		if g.rank < segs[low].rank {
			low = i
		}
	}
	if low < barAt {
		barAt--
	}
	return append(segs[:low:low], segs[low+1:]...), barAt
}

func join(segs []segment, barAt int, bar string) string {
	var parts []string
	for i, g := range segs {
		if i == barAt {
			parts = append(parts, bar)
		}
		parts = append(parts, g.text)
	}
	if barAt >= len(segs) {
		parts = append(parts, bar)
	}
	return strings.Join(parts, sep)
}

// bar is [=====>     ] with inner columns, in ASCII so that every
// terminal counts its width the same.
func bar(done, total int64, width int) string {
	inner := width - 2
	// Rounded down: a full bar means done.
	full := int(math.Floor(float64(inner) * float64(done) / float64(total)))
	full = min(inner, max(0, full))
	head := ""
	if full < inner && full > 0 {
		full--
		head = ">"
	}
	return "[" + strings.Repeat("=", full) + head + strings.Repeat(" ", inner-full-len(head)) + "]"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// bytesText is "1.20/2.90 GB" (or "1.20 GB" without a total), in decimal
// units as capture sizes and link rates are quoted.
func bytesText(done, total int64) string {
	ref := max(done, total)
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	u, scale := 0, 1.0
	for u < len(units)-1 && float64(ref) >= scale*1000 {
		u, scale = u+1, scale*1000
	}
	f := func(v int64) string {
		if u == 0 {
			return strconv.FormatInt(v, 10)
		}
		return strconv.FormatFloat(float64(v)/scale, 'f', 2, 64)
	}
	if total > 0 {
		t := f(total)
		return fmt.Sprintf("%*s/%s %s", len(t), f(done), t, units[u])
	}
	return f(done) + " " + units[u]
}

// countText is "345,678 packets"; one of them reads "1 packet".
func countText(n int64, unit string) string {
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	s := strconv.FormatInt(max(0, n), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " " + unit
}

// clock is a duration to the second as people read it: 45s, 3m05s,
// 2h07m.
func clock(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
	}
	return fmt.Sprintf("%dh%02dm", sec/3600, sec%3600/60)
}
