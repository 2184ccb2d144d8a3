package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/pcapmeter/pcapmeter/tshark"
)

// Revision and Modified are the git commit of the source and "true" when
// the tree had uncommitted changes, set with -ldflags by `make build`: Go's
// own VCS stamp is missing in a linked worktree and under
// -buildvcs=false, and a bug report needs the commit either way.
var (
	Revision string
	Modified string
)

// printVersion says which pcapmeter this is (the -ldflags Version, else
// the module version, with the VCS revision) and which tshark it would
// run, or why none: the two facts a bug report needs.
func printVersion(w io.Writer) {
	fmt.Fprintln(w, "pcapmeter", buildVersion())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path, v, err := tshark.Find(ctx, "")
	if err != nil {
		fmt.Fprintf(w, "tshark: none usable: %v\n", err)
		return
	}
	fmt.Fprintf(w, "tshark: %s (%s)\n", v, path)
}

// buildVersion is Version when set at link time, else the module version
// the build info holds (go install pkg@v1.2.3, "(devel)" for a local
// build), followed by the revision: the one linked in by make, else the
// one Go stamped, with "+dirty" for uncommitted changes.
func buildVersion() string {
	if Version != "dev" {
		return Version
	}
	out := "(devel)"
	var settings []debug.BuildSetting
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" { // a test binary records no module version
			out = bi.Main.Version
		}
		settings = bi.Settings
	}
	rev, modified := Revision, Modified
	if rev == "" {
		for _, s := range settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	return out + revisionSuffix(rev, modified == "true")
}

// revisionSuffix is " (revision abcdef012345[+dirty])", or "" without a
// revision: twelve hex digits name a commit in any repository this size.
func revisionSuffix(rev string, dirty bool) string {
	if rev == "" {
		return ""
	}
	s := " (revision " + rev[:min(12, len(rev))]
	if dirty {
		s += "+dirty"
	}
	return s + ")"
}
