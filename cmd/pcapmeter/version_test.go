package main

import "testing"

// TestBuildVersionRevision: the revision make links in is shown, cut to
// twelve digits and marked dirty, where Go's own stamp is missing (a test
// binary, like a build in a linked worktree, has none).
func TestBuildVersionRevision(t *testing.T) {
	cases := []struct {
		rev, modified, want string
	}{
		{"", "", "(devel)"},
		{"355ddbe29b6f0b03c415e9370360656c77c0be72", "", "(devel) (revision 355ddbe29b6f)"},
		{"355ddbe29b6f0b03c415e9370360656c77c0be72", "true", "(devel) (revision 355ddbe29b6f+dirty)"},
		{"abc", "false", "(devel) (revision abc)"},
	}
	defer func(r, m string) { Revision, Modified = r, m }(Revision, Modified)
	for _, c := range cases {
		Revision, Modified = c.rev, c.modified
		if got := buildVersion(); got != c.want {
			t.Errorf("%q %q: %q, want %q", c.rev, c.modified, got, c.want)
		}
	}
}
