// Package krew makes the project's releases: reproducible archives for every platform, their checksums and the
// krew plugin manifest rendered from agentcore.yaml.tmpl. It also checks a manifest against krew's rules and
// installs an archive the way `kubectl krew install --manifest=… --archive=…` does, so both can be tested
// without krew itself.
package krew

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// What krew requires of every manifest.
const (
	APIVersion = "krew.googlecontainertools.github.com/v1alpha2"
	Kind       = "Plugin"
	// PluginName is metadata.name and the manifest's file name without .yaml.
	PluginName = "agentcore"
	// MaxShortDescription is krew-index's limit for shortDescription.
	MaxShortDescription = 50
	// MaxLine is the column at which description and caveats are wrapped.
	MaxLine = 80
)

// Manifest is a krew plugin manifest (krew's index.Plugin, the fields krew reads).
type Manifest struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

// Metadata holds the plugin's name.
type Metadata struct {
	Name string `json:"name"`
}

// Spec is the plugin's description and its per-platform downloads.
type Spec struct {
	Version          string             `json:"version"`
	Homepage         string             `json:"homepage,omitempty"`
	ShortDescription string             `json:"shortDescription"`
	Description      string             `json:"description,omitempty"`
	Caveats          string             `json:"caveats,omitempty"`
	Platforms        []ManifestPlatform `json:"platforms"`
}

// ManifestPlatform is one download: which os/arch it serves, where it is, its checksum, the binary and the
// files to take from the archive.
type ManifestPlatform struct {
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	URI      string                `json:"uri"`
	SHA256   string                `json:"sha256"`
	Bin      string                `json:"bin"`
	Files    []FileOperation       `json:"files,omitempty"`
}

// FileOperation copies From (a file or glob in the extracted archive) to To (relative to the install folder).
type FileOperation struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ParseManifest reads a manifest strictly: an unknown or misspelled field is an error, as it would be silently
// ignored by krew.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		return nil, fmt.Errorf("parsing the krew manifest: %w", err)
	}
	return &m, nil
}

// LoadManifest reads and parses a manifest file.
func LoadManifest(file string) (*Manifest, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseManifest(b)
}

// krewPlatforms are the os/arch pairs krew's own manifest validator knows; with ours, the pairs a selector
// must match and must not match twice.
var krewPlatforms = []Platform{
	{"windows", "386"}, {"windows", "amd64"}, {"linux", "386"}, {"linux", "amd64"}, {"linux", "arm"},
	{"darwin", "386"}, {"darwin", "amd64"},
}

var (
	safeName      = regexp.MustCompile(`^[\w-]+$`)
	sha256Pattern = regexp.MustCompile(`^[a-f0-9]{64}$`)
	windowsNames  = []string{"CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
		"COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"}
	// usage-like lines: a shell prompt, a command line or a flag.
	usageLine = regexp.MustCompile(`^\s*(\$ |kubectl |kubectl-agentcore )|(^|\s)--?[a-z][a-z-]*[ =]`)
)

// Problems lists every way the manifest in file (the name matters: it must be metadata.name + ".yaml") breaks
// krew's rules or the project's. want, when not empty, are the platforms that must each have exactly one
// entry. An empty result means the manifest is fine.
func Problems(file string, m *Manifest, want []Platform) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

	if m.APIVersion != APIVersion {
		add("apiVersion: %q, krew needs %q", m.APIVersion, APIVersion)
	}
	if m.Kind != Kind {
		add("kind: %q, krew needs %q", m.Kind, Kind)
	}
	name := m.Metadata.Name
	if !safeName.MatchString(name) {
		add("metadata.name: %q does not match %s", name, safeName)
	}
	for _, w := range windowsNames {
		if strings.EqualFold(w, name) {
			add("metadata.name: %q is a reserved file name on Windows", name)
		}
	}
	if base := filepath.Base(file); filepath.Ext(base) != ".yaml" {
		add("file name: %q must end in .yaml", base)
	} else if strings.TrimSuffix(base, ".yaml") != name {
		add("metadata.name: %q must equal the file name %q without .yaml", name, base)
	}

	s := m.Spec
	if !strings.HasPrefix(s.Version, "v") {
		add("spec.version: %q must start with v", s.Version)
	} else if _, err := version.ParseSemantic(s.Version); err != nil {
		add("spec.version: %q is not a semantic version: %v", s.Version, err)
	}
	if u, err := url.Parse(s.Homepage); s.Homepage == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		add("spec.homepage: %q must be an https URL", s.Homepage)
	}
	switch sd := s.ShortDescription; {
	case sd == "":
		add("spec.shortDescription: missing")
	case strings.ContainsAny(sd, "\r\n"):
		add("spec.shortDescription: must not contain a line break")
	case utf8.RuneCountInString(sd) > MaxShortDescription:
		add("spec.shortDescription: %d characters, at most %d", utf8.RuneCountInString(sd), MaxShortDescription)
	}
	checkText := func(field, text string) {
		if strings.TrimSpace(text) == "" {
			add("spec.%s: missing", field)
			return
		}
		for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			if n := utf8.RuneCountInString(line); n > MaxLine {
				add("spec.%s: line %d is %d characters, wrap at %d", field, i+1, n, MaxLine)
			}
		}
	}
	checkText("description", s.Description)
	for i, line := range strings.Split(s.Description, "\n") {
		if usageLine.MatchString(line) {
			add("spec.description: line %d looks like a usage example (%q); krew-index wants none", i+1, strings.TrimSpace(line))
		}
	}
	checkText("caveats", s.Caveats)
	lc := strings.ToLower(s.Caveats)
	if !strings.Contains(lc, "aws") || !strings.Contains(lc, "credentials") {
		add("spec.caveats: must say which AWS credentials the plugin uses")
	}
	if !strings.Contains(lc, "cluster") || !strings.Contains(lc, "gateway") {
		add("spec.caveats: must say what the cluster needs (Gateway API, Agent Gateway)")
	}

	if len(s.Platforms) == 0 {
		add("spec.platforms: none")
	}
	for i, p := range s.Platforms {
		for _, pr := range platformProblems(p) {
			add("spec.platforms[%d]: %s", i, pr)
		}
	}

	// Every selector serves a known os/arch; no os/arch is served twice; every wanted platform is served.
	known := append(append([]Platform{}, krewPlatforms...), want...)
	for i, p := range s.Platforms {
		if p.Selector == nil {
			continue
		}
		any := false
		for _, k := range known {
			if selectorMatches(p.Selector, k) {
				any = true
				break
			}
		}
		if !any {
			add("spec.platforms[%d]: the selector matches no platform krew supports", i)
		}
	}
	seen := map[Platform]bool{}
	for _, k := range known {
		if seen[k] {
			continue
		}
		seen[k] = true
		var idx []int
		for i, p := range s.Platforms {
			if p.Selector != nil && selectorMatches(p.Selector, k) {
				idx = append(idx, i)
			}
		}
		if len(idx) > 1 {
			add("spec.platforms: %v have overlapping selectors that all select %s", idx, k)
		}
	}
	for _, w := range want {
		found := false
		for _, p := range s.Platforms {
			if p.Selector != nil && selectorMatches(p.Selector, w) {
				found = true
			}
		}
		if !found {
			add("spec.platforms: no entry for %s", w)
		}
	}
	return out
}

func platformProblems(p ManifestPlatform) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }

	goos := ""
	switch sel := p.Selector; {
	case sel == nil:
		add("selector: missing")
	case len(sel.MatchExpressions) > 0:
		add("selector: use matchLabels with os and arch only, not matchExpressions")
	case len(sel.MatchLabels) != 2 || sel.MatchLabels["os"] == "" || sel.MatchLabels["arch"] == "":
		add("selector.matchLabels: must hold exactly os and arch, has %v", sel.MatchLabels)
	default:
		goos = sel.MatchLabels["os"]
	}
	if _, err := metav1.LabelSelectorAsSelector(p.Selector); p.Selector != nil && err != nil {
		add("selector: %v", err)
	}

	if u, err := url.Parse(p.URI); p.URI == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		add("uri: %q must be an https URL", p.URI)
	} else if !strings.HasSuffix(p.URI, ".tar.gz") && !strings.HasSuffix(p.URI, ".zip") {
		add("uri: %q must be a .tar.gz or .zip archive", p.URI)
	}
	if !sha256Pattern.MatchString(p.SHA256) {
		add("sha256: %q must be 64 lowercase hex digits", p.SHA256)
	}

	switch {
	case p.Bin == "":
		add("bin: missing")
	case goos == "windows" && !strings.HasSuffix(p.Bin, ".exe"):
		add("bin: %q must end in .exe on Windows", p.Bin)
	case goos != "windows" && goos != "" && strings.HasSuffix(p.Bin, ".exe"):
		add("bin: %q must not end in .exe on %s", p.Bin, goos)
	}
	if p.Bin != path.Clean(p.Bin) || path.IsAbs(p.Bin) || strings.HasPrefix(p.Bin, "..") {
		add("bin: %q must be a clean path inside the install folder", p.Bin)
	}

	if len(p.Files) == 0 {
		add("files: missing (list the binary and LICENSE)")
	}
	var hasBin, hasLicense bool
	for j, f := range p.Files {
		if f.From == "" || f.To == "" {
			add("files[%d]: from and to are both needed", j)
			continue
		}
		if f.To != filepath.Clean(f.To) {
			add("files[%d].to: %q is not a clean path", j, f.To)
		}
		if strings.Contains(f.From, "..") || strings.Contains(f.To, "..") || path.IsAbs(f.From) || path.IsAbs(f.To) {
			add("files[%d]: %q → %q leaves the archive or the install folder", j, f.From, f.To)
		}
		target := path.Join(f.To, path.Base(f.From))
		if f.To != "." {
			target = f.To
		}
		if target == p.Bin || f.From == "*" {
			hasBin = true
		}
		if path.Base(target) == "LICENSE" || f.From == "*" {
			hasLicense = true
		}
	}
	if len(p.Files) > 0 && !hasBin {
		add("files: nothing extracts the binary %q", p.Bin)
	}
	if len(p.Files) > 0 && !hasLicense {
		add("files: nothing extracts LICENSE")
	}
	return out
}

func selectorMatches(sel *metav1.LabelSelector, p Platform) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set{"os": p.OS, "arch": p.Arch})
}

// MatchingPlatform is the manifest entry for p, as krew picks it (the first whose selector matches).
func (m *Manifest) MatchingPlatform(p Platform) (ManifestPlatform, bool) {
	for _, mp := range m.Spec.Platforms {
		if mp.Selector != nil && selectorMatches(mp.Selector, p) {
			return mp, true
		}
	}
	return ManifestPlatform{}, false
}
