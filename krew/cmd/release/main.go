// Command release makes a release of kubectl-agentcore (`make release VERSION=v0.1.0`): the archives for every
// platform in dist/, dist/checksums.txt and krew/agentcore.yaml. Run it from the project's root.
//
// The commit and the build date come from git (the date is the commit's time, or SOURCE_DATE_EPOCH), so two
// runs on the same commit give byte-identical archives.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-agentcore/kubectl-agentcore/krew"
)

func main() { os.Exit(run(os.Args[1:])) }

type usageError struct{ error }

func run(args []string) int {
	err := release(args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(os.Stderr, "error: "+err.Error())
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func release(args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	var (
		ver       = fs.String("version", "", "the release's version, a semantic version with a leading v (v0.1.0)")
		commit    = fs.String("commit", "", "commit stamped into the binary (default: git rev-parse --short=12 HEAD)")
		date      = fs.String("date", "", "build date, RFC 3339 (default: SOURCE_DATE_EPOCH, else the commit's time)")
		out       = fs.String("out", "dist", "folder for the archives and checksums.txt")
		manifest  = fs.String("manifest", "krew/agentcore.yaml", "where to write the krew manifest")
		platforms = fs.String("platforms", "", "comma-separated os/arch list (default: all release platforms)")
		baseURL   = fs.String("base-url", "", "URL the archives are downloaded from (default: the tag's GitHub release)")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q. Pass everything as flags (see -h)", fs.Arg(0))}
	}
	if *ver == "" {
		return usageError{errors.New("no version given. Run `make release VERSION=v0.1.0`")}
	}
	if err := krew.ValidateVersion(*ver); err != nil {
		return usageError{fmt.Errorf("%w. Run `make release VERSION=v0.1.0`", err)}
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	o := krew.Options{Version: *ver, Commit: *commit, Root: root, OutDir: *out, Manifest: *manifest, BaseURL: *baseURL, Log: os.Stderr}
	if *platforms != "" {
		for _, s := range strings.Split(*platforms, ",") {
			p, err := krew.ParsePlatform(strings.TrimSpace(s))
			if err != nil {
				return usageError{err}
			}
			o.Platforms = append(o.Platforms, p)
		}
	}
	if o.Commit == "" {
		if o.Commit, err = git(root, "rev-parse", "--short=12", "HEAD"); err != nil {
			return fmt.Errorf("finding the commit: %w. Pass -commit", err)
		}
	}
	switch {
	case *date != "":
		if o.Date, err = time.Parse(time.RFC3339, *date); err != nil {
			return usageError{fmt.Errorf("-date %q is not RFC 3339 (2026-01-02T15:04:05Z)", *date)}
		}
	case os.Getenv("SOURCE_DATE_EPOCH") != "":
		sec, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
		if err != nil {
			return usageError{fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", os.Getenv("SOURCE_DATE_EPOCH"))}
		}
		o.Date = time.Unix(sec, 0)
	default:
		s, err := git(root, "log", "-1", "--format=%ct", "HEAD")
		if err != nil {
			return fmt.Errorf("finding the commit's time: %w. Pass -date", err)
		}
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("the commit's time %q is not a number", s)
		}
		o.Date = time.Unix(sec, 0)
	}
	if st, err := git(root, "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
		fmt.Fprintf(os.Stderr, "warning: the work tree has uncommitted changes; this release is not the commit %s\n", o.Commit)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := krew.Release(ctx, o)
	if err != nil {
		return fmt.Errorf("making release %s: %w", *ver, err)
	}
	for _, a := range res.Artifacts {
		fmt.Println(a.Path)
	}
	fmt.Println(res.Checksums)
	fmt.Println(res.Manifest)
	return nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return "", fmt.Errorf("git %s: %s", args[0], strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}
