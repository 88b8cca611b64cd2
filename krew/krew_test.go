package krew

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("project root not found at %s", root)
	}
	return root
}

func TestArchivesAreDeterministic(t *testing.T) {
	a := []Entry{{Name: "kubectl-agentcore", Mode: 0o700, Data: []byte("binary")}, {Name: "LICENSE", Mode: 0o600, Data: []byte("license")}}
	b := []Entry{{Name: "LICENSE", Mode: 0o644, Data: []byte("license")}, {Name: "kubectl-agentcore", Mode: 0o755, Data: []byte("binary")}}
	for _, w := range []struct {
		name  string
		write func(io.Writer, []Entry, time.Time) error
	}{{"tar.gz", WriteTarGz}, {"zip", WriteZip}} {
		var x, y bytes.Buffer
		if err := w.write(&x, a, fixedTime); err != nil {
			t.Fatal(err)
		}
		// Other order, other modes on disk, the same instant in another zone: the same bytes.
		if err := w.write(&y, b, fixedTime.In(time.FixedZone("X", 5*3600))); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: the same files give different archives", w.name)
		}
		var z bytes.Buffer
		if err := w.write(&z, a, fixedTime.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(x.Bytes(), z.Bytes()) {
			t.Errorf("%s: the time is not in the archive at all", w.name)
		}
	}

	var tgz bytes.Buffer
	if err := WriteTarGz(&tgz, a, fixedTime); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(tgz.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() || gz.Comment != "" {
		t.Errorf("gzip header carries name %q / time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(fixedTime) || h.Typeflag != tar.TypeReg {
			t.Errorf("tar %s: uid %d gid %d %q/%q mtime %v type %c", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, h.Typeflag)
		}
		want := int64(0o644)
		if h.Name == "kubectl-agentcore" {
			want = 0o755
		}
		if h.Mode != want {
			t.Errorf("tar %s: mode %o, want %o", h.Name, h.Mode, want)
		}
	}
	if strings.Join(names, ",") != "LICENSE,kubectl-agentcore" {
		t.Errorf("tar entries not sorted: %v", names)
	}

	var zb bytes.Buffer
	if err := WriteZip(&zb, a, fixedTime); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb.Bytes()), int64(zb.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "LICENSE" || zr.File[1].Mode().Perm() != 0o755 || !zr.File[1].Modified.Equal(fixedTime) {
		t.Errorf("zip: %s %v %v", zr.File[0].Name, zr.File[1].Mode(), zr.File[1].Modified)
	}

	if err := WriteTarGz(io.Discard, []Entry{{Name: "../x"}}, fixedTime); err == nil {
		t.Error("an entry leaving the archive was packed")
	}
	if err := WriteZip(io.Discard, []Entry{{Name: "a"}, {Name: "a"}}, fixedTime); err == nil {
		t.Error("a duplicate entry was packed")
	}
}

func TestExtractRefusesWhatKrewRefuses(t *testing.T) {
	tarOf := func(h *tar.Header, data string) []byte {
		var b bytes.Buffer
		gz := gzip.NewWriter(&b)
		tw := tar.NewWriter(gz)
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(data))
		tw.Close()
		gz.Close()
		return b.Bytes()
	}
	cases := map[string][]byte{
		"parent path":    tarOf(&tar.Header{Name: "../evil", Mode: 0o644, Typeflag: tar.TypeReg}, "x"),
		"absolute path":  tarOf(&tar.Header{Name: "/etc/evil", Mode: 0o644, Typeflag: tar.TypeReg}, "x"),
		"symlink":        tarOf(&tar.Header{Name: "link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}, ""),
		"not an archive": []byte("#!/bin/sh\necho hi\n"),
	}
	for name, archive := range cases {
		dir := t.TempDir()
		if err := Extract(archive, dir); err == nil {
			t.Errorf("%s: extracted", name)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "evil")); err == nil {
			t.Errorf("%s: wrote outside the folder", name)
		}
	}
}

// standIns are artifacts for every platform, archives of small stand-in binaries, for the rule tests.
func standIns(t *testing.T, version string) ([]Artifact, map[Platform][]byte) {
	t.Helper()
	license, err := os.ReadFile(filepath.Join(repoRoot(t), LicenseName))
	if err != nil {
		t.Fatal(err)
	}
	var arts []Artifact
	data := map[Platform][]byte{}
	for _, p := range DefaultPlatforms {
		entries := []Entry{{Name: p.Bin(), Mode: 0o755, Data: []byte("stand-in " + p.String())}, {Name: LicenseName, Mode: 0o644, Data: license}}
		var b bytes.Buffer
		if p.OS == "windows" {
			err = WriteZip(&b, entries, fixedTime)
		} else {
			entries = append(entries, Entry{Name: CompletionName, Mode: 0o755, Data: []byte("#!/bin/sh\n")})
			err = WriteTarGz(&b, entries, fixedTime)
		}
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, Artifact{Platform: p, Name: p.ArchiveName(version), SHA256: SHA256(b.Bytes())})
		data[p] = b.Bytes()
	}
	return arts, data
}

func renderedManifest(t *testing.T, arts []Artifact) *Manifest {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(repoRoot(t), "krew", "agentcore.yaml.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := RenderManifest(string(tmpl), "v0.1.0", "https://example.com/dl/v0.1.0", arts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

// Every rule of the issue, and krew's own validation, each shown to catch its violation.
func TestManifestRules(t *testing.T) {
	arts, _ := standIns(t, "v0.1.0")
	m := renderedManifest(t, arts)
	if probs := Problems("agentcore.yaml", m, DefaultPlatforms); len(probs) > 0 {
		t.Fatalf("the rendered manifest breaks rules:\n%s", strings.Join(probs, "\n"))
	}
	if len(m.Spec.Platforms) != len(DefaultPlatforms) {
		t.Fatalf("%d platforms, want %d", len(m.Spec.Platforms), len(DefaultPlatforms))
	}
	for i, p := range m.Spec.Platforms {
		if !strings.HasPrefix(p.URI, "https://example.com/dl/v0.1.0/kubectl-agentcore_v0.1.0_") || p.SHA256 != arts[i].SHA256 {
			t.Errorf("platform %d: uri %s sha256 %s", i, p.URI, p.SHA256)
		}
	}

	mutations := []struct {
		rule   string
		file   string
		mutate func(m *Manifest)
		want   string
	}{
		{"apiVersion", "", func(m *Manifest) { m.APIVersion = "krew.googlecontainertools.github.com/v1alpha1" }, "apiVersion"},
		{"kind", "", func(m *Manifest) { m.Kind = "plugin" }, "kind"},
		{"name equals the file name", "agentcore-plugin.yaml", func(*Manifest) {}, "file name"},
		{"file ends in .yaml", "agentcore.yml", func(*Manifest) {}, "must end in .yaml"},
		{"safe name", "", func(m *Manifest) { m.Metadata.Name = "agent/core" }, "does not match"},
		{"version has a v", "", func(m *Manifest) { m.Spec.Version = "0.1.0" }, "must start with v"},
		{"version is semver", "", func(m *Manifest) { m.Spec.Version = "v0.1" }, "not a semantic version"},
		{"homepage", "", func(m *Manifest) { m.Spec.Homepage = "" }, "spec.homepage"},
		{"homepage https", "", func(m *Manifest) { m.Spec.Homepage = "http://example.com" }, "spec.homepage"},
		{"shortDescription present", "", func(m *Manifest) { m.Spec.ShortDescription = "" }, "shortDescription: missing"},
		{"shortDescription ≤ 50", "", func(m *Manifest) { m.Spec.ShortDescription = strings.Repeat("x", 51) }, "at most 50"},
		{"shortDescription one line", "", func(m *Manifest) { m.Spec.ShortDescription = "a\nb" }, "line break"},
		{"description present", "", func(m *Manifest) { m.Spec.Description = "" }, "description: missing"},
		{"description wrapped", "", func(m *Manifest) { m.Spec.Description += strings.Repeat("word ", 17) + "\n" }, "wrap at 80"},
		{"description without usage", "", func(m *Manifest) { m.Spec.Description += "  $ kubectl agentcore doctor\n" }, "usage example"},
		{"description without flags", "", func(m *Manifest) { m.Spec.Description += "Run it with --watch to refresh.\n" }, "usage example"},
		{"caveats present", "", func(m *Manifest) { m.Spec.Caveats = "" }, "caveats: missing"},
		{"caveats name AWS credentials", "", func(m *Manifest) { m.Spec.Caveats = "The cluster needs Agent Gateway.\n" }, "AWS credentials"},
		{"caveats name the cluster's needs", "", func(m *Manifest) { m.Spec.Caveats = "Uses your AWS credentials.\n" }, "what the cluster needs"},
		{"caveats wrapped", "", func(m *Manifest) { m.Spec.Caveats += strings.Repeat("word ", 17) + "\n" }, "caveats: line"},
		{"platforms present", "", func(m *Manifest) { m.Spec.Platforms = nil }, "spec.platforms: none"},
		{"every platform", "", func(m *Manifest) { m.Spec.Platforms = m.Spec.Platforms[:4] }, "no entry for windows/amd64"},
		{"selector present", "", func(m *Manifest) { m.Spec.Platforms[0].Selector = nil }, "selector: missing"},
		{"selector only os/arch", "", func(m *Manifest) { m.Spec.Platforms[0].Selector.MatchLabels["libc"] = "musl" }, "exactly os and arch"},
		{"selector needs arch", "", func(m *Manifest) { delete(m.Spec.Platforms[0].Selector.MatchLabels, "arch") }, "exactly os and arch"},
		{"selector without expressions", "", func(m *Manifest) {
			m.Spec.Platforms[0].Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "os", Operator: metav1.LabelSelectorOpIn, Values: []string{"linux"}}}
		}, "not matchExpressions"},
		{"selector matches a platform", "", func(m *Manifest) { m.Spec.Platforms[0].Selector.MatchLabels["os"] = "plan9" }, "matches no platform"},
		{"no overlapping selectors", "", func(m *Manifest) { m.Spec.Platforms[1].Selector.MatchLabels["arch"] = "amd64" }, "overlapping selectors"},
		{"uri https", "", func(m *Manifest) { m.Spec.Platforms[0].URI = "http://example.com/a.tar.gz" }, "uri"},
		{"uri an archive", "", func(m *Manifest) { m.Spec.Platforms[0].URI = "https://example.com/a.exe" }, ".tar.gz or .zip"},
		{"sha256 lowercase", "", func(m *Manifest) { m.Spec.Platforms[0].SHA256 = strings.ToUpper(m.Spec.Platforms[0].SHA256) }, "lowercase hex"},
		{"sha256 length", "", func(m *Manifest) { m.Spec.Platforms[0].SHA256 = "abc" }, "lowercase hex"},
		{"bin present", "", func(m *Manifest) { m.Spec.Platforms[0].Bin = "" }, "bin: missing"},
		{"bin .exe on windows", "", func(m *Manifest) { m.Spec.Platforms[4].Bin = "kubectl-agentcore" }, "must end in .exe"},
		{"bin no .exe elsewhere", "", func(m *Manifest) { m.Spec.Platforms[0].Bin = "kubectl-agentcore.exe" }, "must not end in .exe"},
		{"files present", "", func(m *Manifest) { m.Spec.Platforms[0].Files = nil }, "files: missing"},
		{"files extract the binary", "", func(m *Manifest) { m.Spec.Platforms[0].Files = m.Spec.Platforms[0].Files[1:] }, "nothing extracts the binary"},
		{"files extract LICENSE", "", func(m *Manifest) {
			m.Spec.Platforms[0].Files = []FileOperation{{From: "kubectl-agentcore", To: "."}}
		}, "nothing extracts LICENSE"},
		{"files from/to set", "", func(m *Manifest) { m.Spec.Platforms[0].Files[0].To = "" }, "from and to are both needed"},
		{"files to clean", "", func(m *Manifest) { m.Spec.Platforms[0].Files[0].To = "./bin/" }, "not a clean path"},
		{"files stay inside", "", func(m *Manifest) { m.Spec.Platforms[0].Files[0].From = "../../etc/passwd" }, "leaves the archive"},
	}
	for _, mu := range mutations {
		m := renderedManifest(t, arts)
		mu.mutate(m)
		file := mu.file
		if file == "" {
			file = "agentcore.yaml"
		}
		probs := Problems(file, m, DefaultPlatforms)
		if !strings.Contains(strings.Join(probs, "\n"), mu.want) {
			t.Errorf("rule %q: want a problem containing %q, got %q", mu.rule, mu.want, probs)
		}
	}

	// Unknown fields would be ignored by krew: the strict parser refuses them.
	if _, err := ParseManifest([]byte("apiVersion: x\nkind: Plugin\nmetadata: {name: agentcore}\nspec: {shortDescrption: typo}\n")); err == nil {
		t.Error("a misspelled field was accepted")
	}
}

// Installing each platform's archive from the rendered manifest, krew's way, gives the binary and LICENSE.
func TestInstallEveryPlatformLikeKrew(t *testing.T) {
	arts, data := standIns(t, "v0.1.0")
	m := renderedManifest(t, arts)
	license, _ := os.ReadFile(filepath.Join(repoRoot(t), LicenseName))
	for _, p := range DefaultPlatforms {
		root := t.TempDir()
		inst, err := Install(m, p, data[p], root)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		bin, err := os.ReadFile(inst.Bin)
		if err != nil || string(bin) != "stand-in "+p.String() {
			t.Errorf("%s: installed binary %q (%v)", p, bin, err)
		}
		if st, err := os.Stat(inst.Bin); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: binary not executable", p)
		}
		if got, err := os.ReadFile(filepath.Join(inst.Dir, LicenseName)); err != nil || !bytes.Equal(got, license) {
			t.Errorf("%s: LICENSE not installed (%v)", p, err)
		}
		wantLink := "kubectl-agentcore"
		if p.OS == "windows" {
			wantLink += ".exe"
		} else if _, err := os.Stat(filepath.Join(inst.Dir, CompletionName)); err != nil {
			t.Errorf("%s: %s not installed", p, CompletionName)
		}
		if filepath.Base(inst.Link) != wantLink {
			t.Errorf("%s: link %s", p, inst.Link)
		}
		if target, err := filepath.EvalSymlinks(inst.Link); err != nil || target != inst.Bin {
			t.Errorf("%s: link resolves to %s (%v), want %s", p, target, err, inst.Bin)
		}
	}
	// krew's refusals: a wrong checksum, a platform the manifest does not serve, a file the archive lacks.
	if _, err := Install(m, DefaultPlatforms[0], data[DefaultPlatforms[1]], t.TempDir()); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("wrong archive: %v", err)
	}
	if _, err := Install(m, Platform{"linux", "s390x"}, data[DefaultPlatforms[0]], t.TempDir()); err == nil {
		t.Error("an unserved platform installed")
	}
	bad := renderedManifest(t, arts)
	bad.Spec.Platforms[0].Files = append(bad.Spec.Platforms[0].Files, FileOperation{From: "README.md", To: "."})
	root := t.TempDir()
	if _, err := Install(bad, DefaultPlatforms[0], data[DefaultPlatforms[0]], root); err == nil || !strings.Contains(err.Error(), "README.md") {
		t.Errorf("missing file: %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a failed install left %d entries in KREW_ROOT", len(entries))
	}
}

func TestValidateVersion(t *testing.T) {
	for _, ok := range []string{"v0.1.0", "v1.2.3-rc.1", "v10.0.0+build.5"} {
		if err := ValidateVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "0.1.0", "v0.1", "latest", "cc7133a-dirty", "v1.2.3.4"} {
		if err := ValidateVersion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChecksumsFormat(t *testing.T) {
	got := Checksums([]Artifact{{Name: "b.zip", SHA256: strings.Repeat("b", 64)}, {Name: "a.tar.gz", SHA256: strings.Repeat("a", 64)}})
	want := strings.Repeat("a", 64) + "  a.tar.gz\n" + strings.Repeat("b", 64) + "  b.zip\n"
	if got != want {
		t.Errorf("checksums.txt:\n%s", got)
	}
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
}
