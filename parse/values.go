package parse

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseFrame reads the two fields every analysis' row starts with,
// frame.number and frame.time_epoch, with the errors every analysis
// reports for them: a bad number names the field, a bad time names the
// frame.
func ParseFrame(number, epoch string) (int64, Time, error) {
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("frame.number %q", number)
	}
	t, err := ParseTime(epoch)
	if err != nil {
		return n, 0, fmt.Errorf("frame %d: %w", n, err)
	}
	return n, t, nil
}

// ParseSeconds reads one value of a duration field such as
// tcp.analysis.initial_rtt: columns print "0.0123 seconds", fields
// "0.0123".
func ParseSeconds(v string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSuffix(v, " seconds"), 64)
}
