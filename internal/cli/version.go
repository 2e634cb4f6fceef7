package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is stamped at link time by release builds:
//
//	go build -ldflags "-X github.com/apaykit/apaykit/internal/cli.version=v0.1.0" ./cmd/apay
//
// When empty, [Version] falls back to the module version and VCS data the
// Go toolchain records in the binary.
var version string

// Version describes this build in one line: the version, the commit it was
// built from (with "+dirty" for uncommitted changes) and the Go toolchain.
func Version() string {
	return describeVersion(version, readBuildInfo())
}

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// describeVersion is Version with its inputs explicit, for tests.
func describeVersion(stamped string, bi *debug.BuildInfo) string {
	v := stamped
	var rev string
	var dirty bool
	goVersion := runtime.Version()
	if bi != nil {
		if v == "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	details := []string{}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		details = append(details, "commit "+rev)
	}
	details = append(details, goVersion, runtime.GOOS+"/"+runtime.GOARCH)
	return fmt.Sprintf("apay %s (%s)", v, strings.Join(details, ", "))
}

func newVersionCommand(*App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of apay",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), Version())
			return err
		},
	}
}
