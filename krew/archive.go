package krew

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Platform is a GOOS/GOARCH pair, as krew's selector labels os and arch name it.
type Platform struct {
	OS   string
	Arch string
}

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// DefaultPlatforms are the platforms every release is built for.
var DefaultPlatforms = []Platform{
	{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"},
}

// ParsePlatform reads "os/arch".
func ParsePlatform(s string) (Platform, error) {
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return Platform{}, fmt.Errorf("platform %q is not os/arch (like linux/amd64)", s)
	}
	return Platform{goos, goarch}, nil
}

// Names of what an archive holds.
const (
	BinaryName     = "kubectl-agentcore"
	CompletionName = "kubectl_complete-agentcore"
	LicenseName    = "LICENSE"
)

// Bin is the plugin binary's file name on p.
func (p Platform) Bin() string {
	if p.OS == "windows" {
		return BinaryName + ".exe"
	}
	return BinaryName
}

// ArchiveName is kubectl-agentcore_<version>_<os>_<arch>.tar.gz (.zip on Windows).
func (p Platform) ArchiveName(version string) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s_%s%s", BinaryName, version, p.OS, p.Arch, ext)
}

// Entry is one file of an archive. Only the name, the mode's permission bits and the content go into the
// archive: owner, group and time are fixed so the same inputs always give the same bytes.
type Entry struct {
	Name string
	Mode os.FileMode
	Data []byte
}

func sortedEntries(entries []Entry) ([]Entry, error) {
	es := append([]Entry(nil), entries...)
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	for i, e := range es {
		if e.Name == "" || strings.Contains(e.Name, "..") || strings.HasPrefix(e.Name, "/") || strings.Contains(e.Name, "\\") {
			return nil, fmt.Errorf("archive entry %q: not a plain relative name", e.Name)
		}
		if i > 0 && es[i-1].Name == e.Name {
			return nil, fmt.Errorf("archive entry %q: twice", e.Name)
		}
	}
	return es, nil
}

// WriteTarGz writes entries (sorted by name) as a gzip-compressed tar: regular files only, uid/gid 0 with no
// user or group names, mode 0755 or 0644, mtime = mtime (whole seconds, UTC), and a gzip header with neither
// a file name nor a time.
func WriteTarGz(w io.Writer, entries []Entry, mtime time.Time) error {
	return writeTarGzLevel(w, entries, mtime, gzip.BestCompression)
}

func writeTarGzLevel(w io.Writer, entries []Entry, mtime time.Time, level int) error {
	es, err := sortedEntries(entries)
	if err != nil {
		return err
	}
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return err
	}
	gz.Header = gzip.Header{OS: 255} // no Name, no ModTime, "unknown" OS
	tw := tar.NewWriter(gz)
	mt := mtime.UTC().Truncate(time.Second)
	for _, e := range es {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.Name,
			Mode:     int64(fixedMode(e.Mode)),
			Size:     int64(len(e.Data)),
			ModTime:  mt,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("tar %s: %w", e.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// WriteZip writes entries (sorted by name) as a zip with deflate at the best compression, Unix modes 0755 or
// 0644 and every time set to mtime (UTC).
func WriteZip(w io.Writer, entries []Entry, mtime time.Time) error {
	return writeZipLevel(w, entries, mtime, flate.BestCompression)
}

func writeZipLevel(w io.Writer, entries []Entry, mtime time.Time, level int) error {
	es, err := sortedEntries(entries)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, level)
	})
	mt := mtime.UTC().Truncate(time.Second)
	for _, e := range es {
		hdr := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: mt}
		hdr.SetMode(fixedMode(e.Mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("zip %s: %w", e.Name, err)
		}
		if _, err := fw.Write(e.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func fixedMode(m os.FileMode) os.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// SHA256 is the lowercase hex sha256 of b.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Extract unpacks an archive into dir as krew does: the format is recognised from the content (gzip → tar.gz,
// zip), only regular files and folders are allowed, and no entry may be absolute or contain "..".
func Extract(archive []byte, dir string) error {
	head := archive
	if len(head) > 512 {
		head = head[:512]
	}
	switch t := strings.Split(http.DetectContentType(head), ";")[0]; t {
	case "application/x-gzip":
		return extractTarGz(archive, dir)
	case "application/zip":
		return extractZip(archive, dir)
	default:
		return fmt.Errorf("archive of type %q: krew only unpacks tar.gz and zip", t)
	}
}

func suspicious(name string) error {
	if strings.Contains(name, "..") {
		return fmt.Errorf("archive entry %q contains ..", name)
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return fmt.Errorf("archive entry %q is absolute", name)
	}
	return nil
}

func extractTarGz(archive []byte, dir string) error {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return err
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		if hdr.Name == "pax_global_header" {
			continue
		}
		if err := suspicious(hdr.Name); err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, os.FileMode(hdr.Mode)); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(p, os.FileMode(hdr.Mode), tr); err != nil {
				return err
			}
		default:
			return fmt.Errorf("tar entry %q has type %q: krew only unpacks files and folders", hdr.Name, hdr.Typeflag)
		}
	}
}

func extractZip(archive []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		if err := suspicious(f.Name); err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, f.Mode().Perm()); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeFile(p, f.Mode().Perm(), rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, mode os.FileMode, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Installed is where Install put the plugin.
type Installed struct {
	Dir  string // <root>/store/<name>/<version>
	Bin  string // the binary inside Dir
	Link string // <root>/bin/kubectl-<name>, the symlink kubectl finds on PATH
}

// Install does what `KREW_ROOT=root KREW_OS=p.OS KREW_ARCH=p.Arch kubectl krew install --manifest=M
// --archive=archive` does: pick the platform entry whose selector matches p, check the archive's sha256,
// unpack it, apply the entry's files (from → to), check bin is inside the install folder and link it as
// <root>/bin/kubectl-<name>. Nothing is left in root when it fails.
func Install(m *Manifest, p Platform, archive []byte, root string) (*Installed, error) {
	mp, ok := m.MatchingPlatform(p)
	if !ok {
		return nil, fmt.Errorf("plugin %q does not offer installation for %s", m.Metadata.Name, p)
	}
	if got := SHA256(archive); got != mp.SHA256 {
		return nil, fmt.Errorf("archive sha256 %s does not match the manifest's %s", got, mp.SHA256)
	}
	staging, err := os.MkdirTemp("", "krew-staging-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	if err := Extract(archive, staging); err != nil {
		return nil, fmt.Errorf("unpacking: %w", err)
	}
	files := mp.Files
	if files == nil {
		files = []FileOperation{{From: "*", To: "."}}
	}
	moved, err := os.MkdirTemp("", "krew-move-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(moved)
	for _, fo := range files {
		if err := applyFileOperation(staging, moved, fo); err != nil {
			return nil, err
		}
	}

	dir := filepath.Join(root, "store", m.Metadata.Name, m.Spec.Version)
	bin := filepath.Join(dir, filepath.FromSlash(mp.Bin))
	if !within(dir, bin) {
		return nil, fmt.Errorf("bin %q is outside the install folder", mp.Bin)
	}
	if _, err := os.Stat(filepath.Join(moved, filepath.FromSlash(mp.Bin))); err != nil {
		return nil, fmt.Errorf("bin %q is not among the installed files: %w", mp.Bin, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(moved, dir); err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o755)
	binDir := filepath.Join(root, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	link := filepath.Join(binDir, "kubectl-"+strings.ReplaceAll(m.Metadata.Name, "-", "_"))
	if p.OS == "windows" {
		link += ".exe"
	}
	rel, err := filepath.Rel(binDir, bin)
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(rel, link); err != nil {
		return nil, err
	}
	return &Installed{Dir: dir, Bin: bin, Link: link}, nil
}

// applyFileOperation moves what fo selects from the unpacked archive (from) to the install folder (to), with
// krew's rules: `to` must be clean; a `from` naming an existing file moves that file (to "." keeps its name);
// otherwise `from` is a glob whose matches go into the folder `to`; nothing may leave either folder.
func applyFileOperation(from, to string, fo FileOperation) error {
	if fo.To != filepath.Clean(fo.To) {
		return fmt.Errorf("files: to %q is not clean (%q)", fo.To, filepath.Clean(fo.To))
	}
	src := filepath.Clean(filepath.Join(from, filepath.FromSlash(fo.From)))
	if _, err := os.Stat(src); err == nil {
		target := fo.To
		if filepath.Clean(target) == "." {
			target = filepath.Base(src)
		}
		dst := filepath.Join(to, filepath.FromSlash(target))
		if !within(from, src) || !within(to, dst) {
			return fmt.Errorf("files: %q → %q leaves the archive or the install folder", fo.From, fo.To)
		}
		return move(src, dst)
	}
	matches, err := filepath.Glob(filepath.Join(from, filepath.FromSlash(fo.From)))
	if err != nil {
		return fmt.Errorf("files: from %q: %w", fo.From, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("files: nothing in the archive matches %q", fo.From)
	}
	for _, src := range matches {
		dst := filepath.Join(to, filepath.FromSlash(fo.To), filepath.Base(src))
		if !within(from, src) || !within(to, dst) {
			return fmt.Errorf("files: %q → %q leaves the archive or the install folder", fo.From, fo.To)
		}
		if err := move(src, dst); err != nil {
			return err
		}
	}
	return nil
}

func move(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.Rename(src, dst)
}

func within(base, p string) bool {
	rel, err := filepath.Rel(base, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
