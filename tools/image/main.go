// Command image builds the container image that `kubectl agentcore rotate --print-manifests` runs, without a
// Docker daemon, into an OCI image layout (`make image`, default dist/image), and pushes that layout to a
// registry (the release workflow).
//
//	go run . build -version v0.1.0 -commit abc -date 2026-01-02T03:04:05Z -ldflags '...' -out ../../dist/image
//	go run . push -layout ../../dist/image ghcr.io/kubectl-agentcore/kubectl-agentcore:v0.1.0
//
// The image is assembled from scratch: the plugin (CGO_ENABLED=0, -trimpath), the CA bundle of the host's Debian
// ca-certificates package, /etc/passwd and /etc/group with the non-root user 65532. Every timestamp is the commit's
// time, so two builds of one commit give the same index digest. It lives in its own module so the plugin's
// dependency list does not carry go-containerregistry.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// BinaryPath is where the plugin lives in the image, and the entrypoint.
	BinaryPath = "/usr/local/bin/kubectl-agentcore"
	// User is the non-root user and group the container runs as.
	User = "65532:65532"
	// CACertsPath is the CA bundle's path in the image (where Go's crypto/x509 looks first on Linux).
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	module      = "github.com/kubectl-agentcore/kubectl-agentcore"
)

// DefaultCmd is the container's default arguments: the rotation service (`rotate --watch`).
var DefaultCmd = []string{"rotate", "--watch", "--log-format=json"}

// DefaultPlatforms are the platforms the image is built for.
var DefaultPlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}

func main() { os.Exit(run(os.Args[1:])) }

type usageError struct{ error }

func run(args []string) int {
	var err error = usage
	if len(args) > 0 {
		switch args[0] {
		case "build":
			err = buildCmd(args[1:])
		case "push":
			err = pushCmd(args[1:])
		default:
			err = usageError{fmt.Errorf("unknown command %q: expected `build` or `push`. Run `make image`", args[0])}
		}
	}
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(os.Stderr, "error: "+err.Error())
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

var usage = usageError{errors.New("no command given: expected `build` or `push`. Run `make image`")}

func buildCmd(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var o Options
	var date string
	fs.StringVar(&o.Root, "root", ".", "the kubectl-agentcore checkout to build")
	fs.StringVar(&o.Out, "out", "dist/image", "folder for the OCI image layout (replaced)")
	fs.StringVar(&o.Version, "version", "", "the image's version (the plugin's `version` prints it)")
	fs.StringVar(&o.Commit, "commit", "", "the commit the image is built from")
	fs.StringVar(&date, "date", "", "the build date, RFC 3339 (the commit's time): every timestamp in the image")
	fs.StringVar(&o.LDFlags, "ldflags", "", "the Makefile's LDFLAGS (version, commit and date stamped into the plugin)")
	fs.StringVar(&o.CACerts, "ca-certs", CACertsPath, "the CA bundle to copy in (Debian's ca-certificates package)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if o.Version == "" || o.Commit == "" || date == "" {
		return usageError{errors.New("-version, -commit and -date are required. Run `make image`")}
	}
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return usageError{fmt.Errorf("-date %q is not RFC 3339: %v. Pass the commit's time, as `make image` does", date, err)}
	}
	o.Created = t
	d, err := Build(o)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n", o.Out, d)
	return nil
}

func pushCmd(args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	dir := fs.String("layout", "dist/image", "the OCI image layout `make image` wrote")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("push takes one argument, the image reference (ghcr.io/OWNER/NAME:TAG)")}
	}
	ref, err := name.ParseReference(fs.Arg(0))
	if err != nil {
		return usageError{fmt.Errorf("image reference %q: %v", fs.Arg(0), err)}
	}
	idx, err := Load(*dir)
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(ref, idx, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("push %s: %w. Log in to the registry first (docker login writes the credentials this reads)", ref, err)
	}
	d, _ := idx.Digest()
	fmt.Printf("%s@%s\n", ref, d)
	return nil
}

// Options say what to build.
type Options struct {
	Root, Out                string
	Version, Commit, LDFlags string
	Created                  time.Time
	CACerts                  string
	Platforms                []v1.Platform // default DefaultPlatforms
}

// Build compiles the plugin for every platform, assembles one image per platform and writes the index as an OCI
// image layout to o.Out (replacing it). It returns the index's digest.
func Build(o Options) (v1.Hash, error) {
	platforms := o.Platforms
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("read the CA bundle: %w. Install Debian's ca-certificates package (apt-get install ca-certificates) or pass -ca-certs", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return v1.Hash{}, fmt.Errorf("the CA bundle %s holds no PEM certificate. Pass the ca-certificates bundle with -ca-certs", o.CACerts)
	}
	base, err := baseLayer(ca, o.Created)
	if err != nil {
		return v1.Hash{}, err
	}
	tmp, err := os.MkdirTemp("", "agentcore-image-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(tmp)

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		bin := filepath.Join(tmp, p.OS+"-"+p.Architecture)
		if err := goBuild(o, p, bin); err != nil {
			return v1.Hash{}, err
		}
		img, err := image(o, p, base, bin)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("assemble the %s/%s image: %w", p.OS, p.Architecture, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture}}})
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return v1.Hash{}, err
	}
	if _, err := layout.Write(o.Out, idx); err != nil {
		return v1.Hash{}, fmt.Errorf("write the OCI layout %s: %w", o.Out, err)
	}
	return idx.Digest()
}

// Load opens the index of an OCI image layout written by Build.
func Load(dir string) (v1.ImageIndex, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("open the OCI layout %s: %w. Run `make image` first", dir, err)
	}
	return idx, nil
}

func goBuild(o Options, p v1.Platform, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", o.LDFlags, "-o", out, "./cmd/kubectl-agentcore")
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", p.OS, p.Architecture, err)
	}
	return nil
}

func image(o Options, p v1.Platform, base v1.Layer, bin string) (v1.Image, error) {
	b, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	binLayer, err := layer(o.Created, []entry{
		{name: "usr/", dir: true}, {name: "usr/local/", dir: true}, {name: "usr/local/bin/", dir: true},
		{name: strings.TrimPrefix(BinaryPath, "/"), mode: 0o755, data: b},
	})
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: o.Created}
	cfg := &v1.ConfigFile{
		Created:      created,
		Architecture: p.Architecture,
		OS:           p.OS,
		Config: v1.Config{
			Entrypoint: []string{BinaryPath},
			Cmd:        DefaultCmd,
			User:       User,
			WorkingDir: "/home/nonroot",
			Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=" + CACertsPath},
			Labels: map[string]string{
				"org.opencontainers.image.title":    "kubectl-agentcore",
				"org.opencontainers.image.source":   "https://" + module,
				"org.opencontainers.image.version":  o.Version,
				"org.opencontainers.image.revision": o.Commit,
				"org.opencontainers.image.created":  o.Created.UTC().Format(time.RFC3339),
				"org.opencontainers.image.licenses": "Apache-2.0",
			},
		},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "kubectl-agentcore image: /etc/passwd, /etc/group, CA certificates"}},
		mutate.Addendum{Layer: binLayer, History: v1.History{Created: created, CreatedBy: "kubectl-agentcore image: " + BinaryPath}},
	)
}

// baseLayer is the same for every platform: the user, the group, the CA bundle, a home and /tmp.
func baseLayer(ca []byte, t time.Time) (v1.Layer, error) {
	return layer(t, []entry{
		{name: "etc/", dir: true},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{name: "etc/ssl/", dir: true}, {name: "etc/ssl/certs/", dir: true},
		{name: strings.TrimPrefix(CACertsPath, "/"), mode: 0o644, data: ca},
		{name: "home/", dir: true}, {name: "home/nonroot/", dir: true, mode: 0o700, owner: 65532},
		{name: "tmp/", dir: true, mode: 0o1777},
	})
}

type entry struct {
	name  string
	dir   bool
	mode  int64
	owner int
	data  []byte
}

// layer writes the entries as a tar with fixed times and owners, so its digest depends on the content only.
func layer(t time.Time, entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.owner, Gid: e.owner, ModTime: t, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
			if h.Mode == 0 {
				h.Mode = 0o755
			}
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}
