package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	testVersion = "v0.0.0-imagetest"
	testCommit  = "0123456789ab"
)

var testDate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testOptions(t *testing.T, out string) Options {
	t.Helper()
	ldflags := "-s -w -X " + module + "/plugin/cmdutil.Version=" + testVersion + " -X " + module + "/plugin/cmdutil.Commit=" +
		testCommit + " -X " + module + "/plugin/cmdutil.Date=" + testDate.Format(time.RFC3339)
	if _, err := os.Stat(CACertsPath); err != nil {
		t.Skipf("no CA bundle at %s (Debian's ca-certificates package): %v", CACertsPath, err)
	}
	return Options{Root: "../..", Out: out, Version: testVersion, Commit: testCommit, LDFlags: ldflags, Created: testDate, CACerts: CACertsPath}
}

// The image is built twice (a reproducible build gives the same index digest), then the layout is loaded and
// checked as a container runtime would read it; the linux/amd64 plugin taken out of the layers runs `version`.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin for two platforms")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	da, err := Build(testOptions(t, a))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Build(testOptions(t, b))
	if err != nil {
		t.Fatal(err)
	}
	if da != db {
		t.Fatalf("two builds of one commit differ: index %s vs %s", da, db)
	}
	ia, _ := os.ReadFile(filepath.Join(a, "index.json"))
	ib, _ := os.ReadFile(filepath.Join(b, "index.json"))
	if !bytes.Equal(ia, ib) {
		t.Fatalf("index.json differs between two builds:\n%s\n%s", ia, ib)
	}

	idx, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := idx.Digest(); d != da {
		t.Fatalf("the layout's index is %s, Build reported %s", d, da)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := idx.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", mt, types.OCIImageIndex)
	}
	var platforms []string
	images := map[string]v1.Image{}
	for _, m := range im.Manifests {
		if m.Platform == nil {
			t.Fatalf("manifest %s has no platform", m.Digest)
		}
		p := m.Platform.OS + "/" + m.Platform.Architecture
		platforms = append(platforms, p)
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[p] = img
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Fatalf("platforms %v, want %v", platforms, want)
	}

	for p, img := range images {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := cf.OS + "/" + cf.Architecture; got != p {
			t.Errorf("%s: config says %s", p, got)
		}
		if !slices.Equal(cf.Config.Entrypoint, []string{"/usr/local/bin/kubectl-agentcore"}) {
			t.Errorf("%s: entrypoint %q", p, cf.Config.Entrypoint)
		}
		if !slices.Equal(cf.Config.Cmd, []string{"rotate", "--watch", "--log-format=json"}) {
			t.Errorf("%s: cmd %q", p, cf.Config.Cmd)
		}
		if cf.Config.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532", p, cf.Config.User)
		}
		if !cf.Created.Time.Equal(testDate) {
			t.Errorf("%s: created %s, want the commit time %s", p, cf.Created.Time, testDate)
		}
		if v := cf.Config.Labels["org.opencontainers.image.version"]; v != testVersion {
			t.Errorf("%s: version label %q", p, v)
		}

		files := extract(t, img)
		if !strings.Contains(string(files["etc/passwd"].data), "nonroot:x:65532:65532:") {
			t.Errorf("%s: /etc/passwd has no user 65532:\n%s", p, files["etc/passwd"].data)
		}
		if !bytes.Contains(files["etc/ssl/certs/ca-certificates.crt"].data, []byte("-----BEGIN CERTIFICATE-----")) {
			t.Errorf("%s: no CA certificates in /etc/ssl/certs/ca-certificates.crt", p)
		}
		for n, f := range files {
			if !f.hdr.ModTime.Equal(testDate) {
				t.Errorf("%s: %s has time %s, want the commit time %s", p, n, f.hdr.ModTime, testDate)
			}
		}
		bin, ok := files["usr/local/bin/kubectl-agentcore"]
		if !ok {
			t.Fatalf("%s: no /usr/local/bin/kubectl-agentcore in the layers", p)
		}
		if bin.hdr.Mode&0o111 == 0 {
			t.Errorf("%s: the plugin is not executable (mode %o)", p, bin.hdr.Mode)
		}
		ef, err := elf.NewFile(bytes.NewReader(bin.data))
		if err != nil {
			t.Fatalf("%s: the plugin is not an ELF binary: %v", p, err)
		}
		if want := map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64}[p]; ef.Machine != want {
			t.Errorf("%s: the plugin is built for %s, want %s", p, ef.Machine, want)
		}
	}

	if runtime.GOOS+"/"+runtime.GOARCH != "linux/amd64" {
		t.Skipf("cannot run the linux/amd64 plugin on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	exe := filepath.Join(dir, "kubectl-agentcore")
	if err := os.WriteFile(exe, extract(t, images["linux/amd64"])["usr/local/bin/kubectl-agentcore"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("the image's plugin `version`: %v\n%s", err, out)
	}
	want := "kubectl-agentcore " + testVersion + " (commit " + testCommit + ", built " + testDate.Format(time.RFC3339) + ","
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), "linux/amd64") {
		t.Fatalf("the image's plugin `version` printed %q, want it to start with %q and name linux/amd64", out, want)
	}
}

type file struct {
	hdr  *tar.Header
	data []byte
}

// extract reads the image's flattened filesystem, as a runtime unpacks it.
func extract(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]file{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(h.Name, "/")] = file{h, b}
	}
}

func TestBuildBadInput(t *testing.T) {
	o := testOptions(t, filepath.Join(t.TempDir(), "out"))
	o.CACerts = filepath.Join(t.TempDir(), "missing.crt")
	if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "read the CA bundle") {
		t.Fatalf("Build with no CA bundle: %v, want an error naming the CA bundle", err)
	}
	if _, err := os.Stat(o.Out); !os.IsNotExist(err) {
		t.Errorf("Build wrote %s although it failed (%v)", o.Out, err)
	}
	empty := filepath.Join(t.TempDir(), "empty.crt")
	if err := os.WriteFile(empty, []byte("not pem\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.CACerts = empty
	if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("Build with a bundle that holds no certificate: %v", err)
	}
	for _, args := range [][]string{nil, {"frobnicate"}, {"build"}, {"build", "-version", "v1", "-commit", "c", "-date", "yesterday"}, {"push"}} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) exited %d, want 2 (usage)", args, code)
		}
	}
	if code := run([]string{"push", "-layout", filepath.Join(t.TempDir(), "none"), "example.invalid/x:v1"}); code != 1 {
		t.Errorf("push of a missing layout exited %d, want 1", code)
	}
}
