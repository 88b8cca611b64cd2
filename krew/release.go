package krew

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/version"
)

// Project facts the release and the manifest use.
const (
	Module   = "github.com/kubectl-agentcore/kubectl-agentcore"
	Homepage = "https://github.com/kubectl-agentcore/kubectl-agentcore"
	// DownloadBase is where a tag's GitHub release serves its archives; %s is the version.
	DownloadBase = Homepage + "/releases/download/%s"
)

// Options say what to release.
type Options struct {
	Version string    // v1.2.3 (semver with a leading v)
	Commit  string    // stamped into the binary
	Date    time.Time // the commit's time: stamped into the binary and used as every archive entry's mtime

	Platforms []Platform // default DefaultPlatforms
	Root      string     // the module's root folder (holds go.mod, LICENSE, kubectl_complete-agentcore, krew/)
	OutDir    string     // where the archives and checksums.txt go (default <Root>/dist)
	Manifest  string     // the rendered manifest (default <Root>/krew/agentcore.yaml)
	BaseURL   string     // where the archives will be downloaded from (default DownloadBase)

	// Build writes the plugin binary for p to out. Nil: `go build` (CGO_ENABLED=0, -trimpath, version ldflags).
	Build func(ctx context.Context, o Options, p Platform, out string) error
	// Level is the archives' compression level (compress/flate); 0 = flate.BestCompression. Only tests pick
	// another: flate.BestSpeed keeps their race-detector runs short.
	Level int
	Log   io.Writer // progress lines; nil = none
}

// Artifact is one archive of a release.
type Artifact struct {
	Platform Platform
	Name     string // file name in OutDir
	Path     string
	SHA256   string
}

// Result is what Release wrote.
type Result struct {
	Artifacts []Artifact
	Checksums string // path of checksums.txt
	Manifest  string // path of the rendered manifest
}

// ValidateVersion accepts what krew accepts as a plugin version: a leading v and a semantic version.
func ValidateVersion(v string) error {
	if !strings.HasPrefix(v, "v") {
		return fmt.Errorf("version %q must be a semantic version with a leading v, like v0.1.0", v)
	}
	if _, err := version.ParseSemantic(v); err != nil {
		return fmt.Errorf("version %q must be a semantic version with a leading v, like v0.1.0", v)
	}
	return nil
}

func (o *Options) defaults() error {
	if err := ValidateVersion(o.Version); err != nil {
		return err
	}
	if o.Commit == "" {
		return errors.New("no commit given to stamp into the binary")
	}
	if o.Date.IsZero() {
		return errors.New("no build date given (the commit's time)")
	}
	if o.Root == "" {
		return errors.New("no project root given")
	}
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	seen := map[Platform]bool{}
	for _, p := range o.Platforms {
		if seen[p] {
			return fmt.Errorf("platform %s given twice", p)
		}
		seen[p] = true
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.Root, "dist")
	}
	if o.Manifest == "" {
		o.Manifest = filepath.Join(o.Root, "krew", PluginName+".yaml")
	}
	if o.BaseURL == "" {
		o.BaseURL = fmt.Sprintf(DownloadBase, o.Version)
	}
	if o.Build == nil {
		o.Build = GoBuild
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Level == 0 {
		o.Level = flate.BestCompression
	}
	o.Date = o.Date.UTC().Truncate(time.Second)
	return nil
}

// LDFlags are the linker flags of a release build: stripped, with version, commit and date stamped.
func LDFlags(o Options) string {
	pkg := Module + "/plugin/cmdutil"
	return fmt.Sprintf("-s -w -X %s.Version=%s -X %s.Commit=%s -X %s.Date=%s",
		pkg, o.Version, pkg, o.Commit, pkg, o.Date.UTC().Format(time.RFC3339))
}

// GoBuild cross-compiles ./cmd/kubectl-agentcore for p into out: static (CGO_ENABLED=0), -trimpath, no VCS
// stamp (the commit is stamped by -ldflags), and the baseline instruction set, so the same source always gives
// the same binary.
func GoBuild(ctx context.Context, o Options, p Platform, out string) error {
	goBin := os.Getenv("GO")
	if goBin == "" {
		goBin = "go"
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-ldflags", LDFlags(o), "-o", out, "./cmd/kubectl-agentcore")
		cmd.Dir = o.Root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch, "GOAMD64=v1", "GOARM64=v8.0", "GO386=sse2")
		var stderr bytes.Buffer
		cmd.Stdout = io.Discard
		cmd.Stderr = &stderr
		if err = cmd.Run(); err == nil {
			return nil
		}
		err = fmt.Errorf("go build for %s: %v: %s", p, err, lastLines(stderr.String(), 10))
		// A build cache entry removed under a concurrent build (cache trimming, go clean) shows as a failed
		// import of a file that is gone; the next build recompiles it.
		if !cacheEntryVanished(stderr.String()) {
			break
		}
	}
	return err
}

func cacheEntryVanished(stderr string) bool {
	return strings.Contains(stderr, "could not import") && strings.Contains(stderr, "no such file or directory")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// Release builds the binary for every platform, packs each with LICENSE (and, outside Windows, the
// kubectl_complete-agentcore helper) into a reproducible archive, writes checksums.txt and renders the krew
// manifest with the archives' URIs and sha256, then checks the manifest against krew's rules. Everything is
// made in a staging folder first: on failure OutDir and the manifest are left as they were.
func Release(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	license, err := os.ReadFile(filepath.Join(o.Root, LicenseName))
	if err != nil {
		return nil, fmt.Errorf("reading LICENSE: %w", err)
	}
	helper, err := os.ReadFile(filepath.Join(o.Root, CompletionName))
	if err != nil {
		return nil, fmt.Errorf("reading the completion helper: %w", err)
	}
	tmplText, err := os.ReadFile(filepath.Join(o.Root, "krew", PluginName+".yaml.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("reading the manifest template: %w", err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	staging, err := os.MkdirTemp(o.OutDir, ".staging-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)

	var arts []Artifact
	for _, p := range o.Platforms {
		fmt.Fprintf(o.Log, "building %s\n", p)
		binPath := filepath.Join(staging, "build", p.OS+"_"+p.Arch, p.Bin())
		if err := o.Build(ctx, o, p, binPath); err != nil {
			return nil, err
		}
		bin, err := os.ReadFile(binPath)
		if err != nil {
			return nil, fmt.Errorf("reading the %s binary: %w", p, err)
		}
		entries := []Entry{{Name: p.Bin(), Mode: 0o755, Data: bin}, {Name: LicenseName, Mode: 0o644, Data: license}}
		if p.OS != "windows" {
			entries = append(entries, Entry{Name: CompletionName, Mode: 0o755, Data: helper})
		}
		var buf bytes.Buffer
		if p.OS == "windows" {
			err = writeZipLevel(&buf, entries, o.Date, o.Level)
		} else {
			err = writeTarGzLevel(&buf, entries, o.Date, o.Level)
		}
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", p, err)
		}
		name := p.ArchiveName(o.Version)
		if err := os.WriteFile(filepath.Join(staging, name), buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
		arts = append(arts, Artifact{Platform: p, Name: name, Path: filepath.Join(o.OutDir, name), SHA256: SHA256(buf.Bytes())})
		fmt.Fprintf(o.Log, "packed   %s (%d bytes, sha256 %s)\n", name, buf.Len(), arts[len(arts)-1].SHA256)
	}

	sums := Checksums(arts)
	if err := os.WriteFile(filepath.Join(staging, "checksums.txt"), []byte(sums), 0o644); err != nil {
		return nil, err
	}
	manifest, err := RenderManifest(string(tmplText), o.Version, o.BaseURL, arts)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(manifest)
	if err != nil {
		return nil, fmt.Errorf("the rendered manifest: %w", err)
	}
	if probs := Problems(o.Manifest, m, o.Platforms); len(probs) > 0 {
		return nil, fmt.Errorf("the rendered manifest breaks krew's rules: %s", strings.Join(probs, "; "))
	}

	// Everything is ready: move it into place.
	for _, a := range arts {
		if err := os.Rename(filepath.Join(staging, a.Name), a.Path); err != nil {
			return nil, err
		}
	}
	sumsPath := filepath.Join(o.OutDir, "checksums.txt")
	if err := os.Rename(filepath.Join(staging, "checksums.txt"), sumsPath); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(o.Manifest), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(o.Manifest, manifest, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "wrote    %s and %s\n", sumsPath, o.Manifest)
	return &Result{Artifacts: arts, Checksums: sumsPath, Manifest: o.Manifest}, nil
}

// Checksums is checksums.txt: "<sha256>  <file>" lines sorted by file name, as `sha256sum -c` reads them.
func Checksums(arts []Artifact) string {
	as := append([]Artifact(nil), arts...)
	sort.Slice(as, func(i, j int) bool { return as[i].Name < as[j].Name })
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.Name)
	}
	return b.String()
}

type tmplPlatform struct {
	OS, Arch, URI, SHA256, Bin string
	Files                      []string
}

// RenderManifest fills the manifest template with the version and one platform entry per artifact, in the
// order given (URIs are baseURL/<archive name>).
func RenderManifest(tmplText, ver, baseURL string, arts []Artifact) ([]byte, error) {
	t, err := template.New("manifest").Option("missingkey=error").Parse(tmplText)
	if err != nil {
		return nil, fmt.Errorf("parsing the manifest template: %w", err)
	}
	data := struct {
		Version, Homepage string
		Platforms         []tmplPlatform
	}{Version: ver, Homepage: Homepage}
	for _, a := range arts {
		files := []string{a.Platform.Bin(), LicenseName}
		if a.Platform.OS != "windows" {
			files = append(files, CompletionName)
		}
		data.Platforms = append(data.Platforms, tmplPlatform{
			OS: a.Platform.OS, Arch: a.Platform.Arch, URI: strings.TrimSuffix(baseURL, "/") + "/" + a.Name,
			SHA256: strings.ToLower(a.SHA256), Bin: a.Platform.Bin(), Files: files,
		})
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("rendering the manifest: %w", err)
	}
	return b.Bytes(), nil
}
