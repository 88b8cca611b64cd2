package cmdutil

// Build information, set with -ldflags -X by the Makefile.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)
