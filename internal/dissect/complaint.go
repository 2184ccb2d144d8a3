package dissect

import "strings"

// Complaint is what tshark said on stderr about its input (a display
// filter it refuses, field names it does not know), in one line: without
// the "tshark: " prefixes, blank lines, the "Running as user" banner, the
// echo of echoed (the filter as given) and the caret line tshark draws
// under it. It is "" when nothing is left. Every analysis that passes a
// user's filter reports tshark's refusal through this one reader, so the
// message reads the same whichever subcommand was run.
func Complaint(stderr, echoed string) string {
	echoed = strings.TrimSpace(echoed)
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "tshark: "))
		if l == "" || strings.Trim(l, "^~ ") == "" || l == echoed || strings.HasPrefix(l, "Running as user") {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, " ")
}
