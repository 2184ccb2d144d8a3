package input

import "testing"

// TestRename: a message quoting a spooled copy's path names the capture as
// the user gave it; a regular file's path is left as it is.
func TestRename(t *testing.T) {
	s := &Set{Captures: []Capture{
		{Arg: "-", Path: "/proc/1/fd/7", Spooled: true},
		{Arg: "a.pcap", Path: "a.pcap"},
	}}
	got := s.Rename("tshark: /proc/1/fd/7 cut short; a.pcap fine")
	want := "tshark: " + s.Captures[0].Name() + " cut short; a.pcap fine"
	if got != want {
		t.Errorf("Rename = %q, want %q", got, want)
	}
}
