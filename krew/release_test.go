package krew

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	snapshotOnce sync.Once
	snapshotDir  string
	snapshotErr  error

	firstOnce   sync.Once
	firstDir    string
	firstResult *Result
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{snapshotDir, firstDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// firstRelease is one release for every platform, shared by the tests (each build of the binary costs seconds).
func firstRelease(t *testing.T) *Result {
	t.Helper()
	firstOnce.Do(func() {
		var err error
		if firstDir, err = os.MkdirTemp("", "agentcore-release-"); err != nil {
			t.Fatal(err)
		}
		firstResult = releaseOnce(t, firstDir, nil)
	})
	if firstResult == nil {
		t.Fatal("the first release failed")
	}
	return firstResult
}

// source is what the release tests build: the committed tree (git archive HEAD), so edits made while the tests
// run cannot change the binary between two builds. Outside a git checkout it is the project folder itself.
func source(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	snapshotOnce.Do(func() {
		cmd := exec.Command("git", "archive", "--format=tar", "HEAD")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			snapshotErr = err
			return
		}
		if snapshotDir, err = os.MkdirTemp("", "agentcore-release-src-"); err != nil {
			snapshotErr = err
			return
		}
		snapshotErr = untar(out, snapshotDir)
	})
	if snapshotErr != nil {
		t.Logf("building the work tree (no git snapshot: %v)", snapshotErr)
		return root
	}
	return snapshotDir
}

func untar(b []byte, dir string) error {
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFile(p, os.FileMode(h.Mode).Perm(), tr)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		}
		if err != nil {
			return err
		}
	}
}

const testVersion = "v0.1.0-rc.1"

// hostBuild builds the real binary for the host platform and a stand-in for the others (cross-compiling all
// five in a test would take minutes; `make release` does it for real with GoBuild).
func hostBuild(ctx context.Context, o Options, p Platform, out string) error {
	if p.OS == runtime.GOOS && p.Arch == runtime.GOARCH {
		return GoBuild(ctx, o, p, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte("stand-in for "+p.String()+"\n"), 0o755)
}

func releaseOnce(t *testing.T, out string, platforms []Platform) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	res, err := Release(ctx, Options{
		Version: testVersion, Commit: "0123456789ab", Date: fixedTime,
		Platforms: platforms, Root: source(t), OutDir: filepath.Join(out, "dist"),
		Manifest: filepath.Join(out, "krew", "agentcore.yaml"), Build: hostBuild,
		Level: flate.BestSpeed, // BestCompression takes ~50 s per archive under -race; make release uses it
	})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	return res
}

func host(t *testing.T) Platform {
	h := Platform{runtime.GOOS, runtime.GOARCH}
	for _, p := range DefaultPlatforms {
		if p == h {
			return h
		}
	}
	t.Skipf("%s is not a release platform", h)
	return h
}

// The release end to end: archives for every platform, checksums, the manifest, and the host's archive
// installed krew's way and run as `kubectl agentcore version` through kubectl's plugin discovery.
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	h := host(t)
	res := firstRelease(t)
	out := filepath.Dir(filepath.Dir(res.Checksums))

	// checksums.txt names every archive with its real sha256.
	sums, err := os.ReadFile(res.Checksums)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != len(DefaultPlatforms) {
		t.Fatalf("%d archives, want %d", len(res.Artifacts), len(DefaultPlatforms))
	}
	archives := map[Platform][]byte{}
	for _, a := range res.Artifacts {
		b, err := os.ReadFile(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		archives[a.Platform] = b
		if want := fmt.Sprintf("kubectl-agentcore_%s_%s_%s", testVersion, a.Platform.OS, a.Platform.Arch); !strings.HasPrefix(filepath.Base(a.Path), want) {
			t.Errorf("archive name %s, want %s.*", filepath.Base(a.Path), want)
		}
		if !strings.Contains(string(sums), SHA256(b)+"  "+filepath.Base(a.Path)+"\n") {
			t.Errorf("checksums.txt lacks %s:\n%s", a.Path, sums)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "dist")); len(entries) != len(DefaultPlatforms)+1 {
		t.Errorf("dist holds %d entries, want the archives and checksums.txt only", len(entries))
	}

	// The manifest on disk follows every rule.
	m, err := LoadManifest(res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if probs := Problems(res.Manifest, m, DefaultPlatforms); len(probs) > 0 {
		t.Fatalf("krew/agentcore.yaml breaks rules:\n%s", strings.Join(probs, "\n"))
	}
	if m.Spec.Version != testVersion {
		t.Errorf("manifest version %s", m.Spec.Version)
	}
	for _, mp := range m.Spec.Platforms {
		if !strings.HasPrefix(mp.URI, "https://github.com/kubectl-agentcore/kubectl-agentcore/releases/download/"+testVersion+"/") {
			t.Errorf("uri %s", mp.URI)
		}
	}

	// Every archive installs; the host's binary runs through kubectl.
	license, _ := os.ReadFile(filepath.Join(source(t), LicenseName))
	var hostInst *Installed
	for _, p := range DefaultPlatforms {
		inst, err := Install(m, p, archives[p], t.TempDir())
		if err != nil {
			t.Fatalf("installing %s: %v", p, err)
		}
		if got, _ := os.ReadFile(filepath.Join(inst.Dir, LicenseName)); !bytes.Equal(got, license) {
			t.Errorf("%s: LICENSE missing or different", p)
		}
		if p == h {
			hostInst = inst
		}
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed: the plugin discovery part is not run")
	}
	binDir := filepath.Dir(hostInst.Link)
	home := t.TempDir()
	env := append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "KUBECONFIG="+filepath.Join(home, "none"), "AWS_CONFIG_FILE="+filepath.Join(home, "none"))
	kc := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(kubectl, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, b, stderr.Bytes())
		}
		return string(b)
	}
	var info map[string]string
	decodeJSON(t, []byte(kc("agentcore", "version", "-o", "json")), &info)
	if info["version"] != testVersion || info["commit"] != "0123456789ab" || info["buildDate"] != "2026-01-02T03:04:05Z" || info["platform"] != h.String() {
		t.Errorf("kubectl agentcore version: %v", info)
	}
	if list := kc("plugin", "list"); !strings.Contains(list, hostInst.Link) {
		t.Errorf("kubectl plugin list does not show %s:\n%s", hostInst.Link, list)
	}
	// The README's completion step: the helper copied next to the link makes `kubectl agentcore <TAB>` work.
	helper, err := os.ReadFile(filepath.Join(hostInst.Dir, CompletionName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(binDir, CompletionName), helper, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := kc("__complete", "agentcore", "ver"); !strings.HasPrefix(got, "version\t") {
		t.Errorf("kubectl agentcore ver<TAB>: %q", got)
	}
}

// Two releases of the same source give byte-identical archives, checksums and manifest.
func TestReleaseIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	host(t)
	ra := firstRelease(t)
	rb := releaseOnce(t, t.TempDir(), nil)
	for i := range ra.Artifacts {
		x, _ := os.ReadFile(ra.Artifacts[i].Path)
		y, _ := os.ReadFile(rb.Artifacts[i].Path)
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two releases (%d vs %d bytes)", ra.Artifacts[i].Name, len(x), len(y))
		}
	}
	for _, pair := range [][2]string{{ra.Checksums, rb.Checksums}, {ra.Manifest, rb.Manifest}} {
		x, _ := os.ReadFile(pair[0])
		y, _ := os.ReadFile(pair[1])
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two releases", filepath.Base(pair[0]))
		}
	}
}

// Bad input is refused before anything is built or written.
func TestReleaseRefusesBadInput(t *testing.T) {
	out := t.TempDir()
	built := false
	build := func(context.Context, Options, Platform, string) error { built = true; return nil }
	base := Options{Version: "v0.1.0", Commit: "abc", Date: fixedTime, Root: repoRoot(t), OutDir: filepath.Join(out, "dist"), Manifest: filepath.Join(out, "agentcore.yaml"), Build: build}
	cases := map[string]func(o *Options){
		"version without v": func(o *Options) { o.Version = "0.1.0" },
		"git describe":      func(o *Options) { o.Version = "cc7133a-dirty" },
		"no commit":         func(o *Options) { o.Commit = "" },
		"no date":           func(o *Options) { o.Date = time.Time{} },
		"platform twice":    func(o *Options) { o.Platforms = []Platform{{"linux", "amd64"}, {"linux", "amd64"}} },
	}
	for name, mutate := range cases {
		o := base
		mutate(&o)
		if _, err := Release(context.Background(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if built {
		t.Error("a build ran for bad input")
	}
	// A failing build leaves nothing behind.
	o := base
	o.Build = func(context.Context, Options, Platform, string) error { return fmt.Errorf("compiler exploded") }
	if _, err := Release(context.Background(), o); err == nil || !strings.Contains(err.Error(), "compiler exploded") {
		t.Errorf("failing build: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "dist")); len(entries) != 0 {
		t.Errorf("a failed release left %d entries in dist", len(entries))
	}
	if _, err := os.Stat(o.Manifest); err == nil {
		t.Error("a failed release wrote the manifest")
	}
}

// TestMadeRelease checks a `make release` output (AGENTCORE_RELEASE_DIR = the folder holding dist/ and
// krew/agentcore.yaml): the manifest's rules, and every archive installed krew's way holds LICENSE and a real
// binary for its platform.
func TestMadeRelease(t *testing.T) {
	dir := os.Getenv("AGENTCORE_RELEASE_DIR")
	if dir == "" {
		t.Skip("set AGENTCORE_RELEASE_DIR to the folder where `make release` ran")
	}
	file := filepath.Join(dir, "krew", "agentcore.yaml")
	m, err := LoadManifest(file)
	if err != nil {
		t.Fatal(err)
	}
	if probs := Problems(file, m, DefaultPlatforms); len(probs) > 0 {
		t.Fatalf("%s breaks rules:\n%s", file, strings.Join(probs, "\n"))
	}
	magic := map[string][]byte{"linux": []byte("\x7fELF"), "darwin": {0xcf, 0xfa, 0xed, 0xfe}, "windows": []byte("MZ")}
	for _, p := range DefaultPlatforms {
		archive, err := os.ReadFile(filepath.Join(dir, "dist", p.ArchiveName(m.Spec.Version)))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := Install(m, p, archive, t.TempDir())
		if err != nil {
			t.Fatalf("installing %s: %v", p, err)
		}
		bin, err := os.ReadFile(inst.Bin)
		if err != nil || !bytes.HasPrefix(bin, magic[p.OS]) {
			t.Errorf("%s: %s is not a %s executable (%v)", p, inst.Bin, p.OS, err)
		}
		if _, err := os.Stat(filepath.Join(inst.Dir, LicenseName)); err != nil {
			t.Errorf("%s: no LICENSE", p)
		}
	}
}
