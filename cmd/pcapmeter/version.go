package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/pcapmeter/pcapmeter/tshark"
)

// printVersion says which pcapmeter this is (the -ldflags Version, else
// the module version and VCS revision Go recorded at build time) and which
// tshark it would run, or why none: the two facts a bug report needs.
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

// buildVersion is Version when set at link time, else what the build
// info holds: the module version (go install pkg@v1.2.3) and the VCS
// revision, with "+dirty" for uncommitted changes.
func buildVersion() string {
	if Version != "dev" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	out := bi.Main.Version
	if out == "" { // a test binary records no module version
		out = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		out += " (revision " + rev[:min(12, len(rev))] + dirty + ")"
	}
	return out
}
