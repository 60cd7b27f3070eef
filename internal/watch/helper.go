package watch

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/syncd"
)

// HelperPath is where the sync helper is copied in a container.
const HelperPath = "/.mlstack-syncd"

// HelperCommand is mlstack's hidden subcommand that serves the sync protocol on stdin and stdout.
const HelperCommand = "__syncd"

// HelperBinary is the mlstack executable copied into containers as their sync helper. A static
// build goes in alone; a dynamically linked one (a plain `go build` with cgo) goes in with its own
// program interpreter and libraries, so it runs even in FROM scratch images.
type HelperBinary struct {
	// Path is the host file.
	Path string
	// Arch is its GOARCH (amd64, arm64, ...), to refuse containers it cannot run in.
	Arch string
	// files are what Install copies: host file → path in the container, the executable first.
	files []helperFile
	// cmd runs the helper's serve command in the container.
	cmd []string
}

type helperFile struct {
	host, target string
	size, mod    int64
}

// helperLibDir holds a dynamic helper's interpreter and libraries in the container.
const helperLibDir = "/.mlstack-syncd.d"

// elfArch maps ELF machine types to the GOARCH names images report.
var elfArch = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
	elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64",
}

// FindHelper prepares path (mlstack's own executable when empty) to run in any Linux container.
func FindHelper(path string) (*HelperBinary, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find mlstack's executable for the sync helper: %w", err)
		}
		path = exe
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sync helper %s: not a Linux executable; watch copies mlstack itself into containers, so run a Linux build of mlstack: %w", path, err)
	}
	defer f.Close()
	h := &HelperBinary{Path: path, Arch: elfArch[f.Machine]}
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return nil, fmt.Errorf("sync helper %s: read its program interpreter: %w", path, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		if err := h.add(path, HelperPath); err != nil {
			return nil, err
		}
		h.cmd = []string{HelperPath, HelperCommand}
		return h, nil
	}
	// Dynamically linked: ship the interpreter and every library the binary needs, and start it
	// through that interpreter with the shipped libraries only.
	exe := helperLibDir + "/mlstack"
	ld := helperLibDir + "/ld.so"
	if err := h.add(path, exe); err != nil {
		return nil, err
	}
	if err := h.add(interp, ld); err != nil {
		return nil, fmt.Errorf("sync helper %s is dynamically linked and its interpreter %s cannot be shipped: %w (build mlstack static: CGO_ENABLED=0, as make build does)", path, interp, err)
	}
	libs, err := neededLibraries(f, interp)
	if err != nil {
		return nil, fmt.Errorf("sync helper %s is dynamically linked: %w (build mlstack static: CGO_ENABLED=0, as make build does)", path, err)
	}
	for _, lib := range libs {
		if err := h.add(lib, helperLibDir+"/lib/"+filepath.Base(lib)); err != nil {
			return nil, err
		}
	}
	h.cmd = []string{ld, "--library-path", helperLibDir + "/lib", exe, HelperCommand}
	return h, nil
}

func (h *HelperBinary) add(host, target string) error {
	real, err := filepath.EvalSymlinks(host)
	if err != nil {
		return fmt.Errorf("sync helper: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("sync helper: %w", err)
	}
	h.files = append(h.files, helperFile{host: real, target: target, size: fi.Size(), mod: fi.ModTime().Unix()})
	return nil
}

// libDirs are where the dynamic loader looks by default on Linux distributions.
func libDirs(interp string) []string {
	return []string{filepath.Dir(interp), "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}
}

// neededLibraries resolves the shared libraries f needs, transitively, to host paths.
func neededLibraries(f *elf.File, interp string) ([]string, error) {
	var out []string
	seen := map[string]bool{filepath.Base(interp): true}
	queue, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("read its needed libraries: %w", err)
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		found := ""
		for _, d := range libDirs(interp) {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				found = filepath.Join(d, name)
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("library %s not found on this host", name)
		}
		out = append(out, found)
		lf, err := elf.Open(found)
		if err != nil {
			return nil, fmt.Errorf("read library %s: %w", found, err)
		}
		more, _ := lf.ImportedLibraries()
		lf.Close()
		queue = append(queue, more...)
	}
	return out, nil
}

// Install copies the helper into container id through the archive API, unless an identical copy
// (same size and mtime of the executable) is already there, as after a restart.
func (h *HelperBinary) Install(ctx context.Context, eng *engine.Client, id string) error {
	main := h.files[0]
	if st, err := eng.ContainerStatPath(ctx, id, main.target); err == nil && st.Size == main.size && st.Mtime.Unix() == main.mod {
		return nil
	}
	in, err := eng.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect container: %w", err)
	}
	if img, err := eng.ImageInspect(ctx, in.Image); err == nil && h.Arch != "" && img.Architecture != "" && img.Architecture != h.Arch {
		return fmt.Errorf("image %s is built for %s and mlstack for %s, so mlstack cannot run in it as the sync helper", in.Config.Image, img.Architecture, h.Arch)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(h.writeTar(pw)) }()
	if err := eng.CopyToContainer(ctx, id, "/", pr, container.CopyToContainerOptions{}); err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("copy sync helper to %s: %w", main.target, err)
	}
	return nil
}

func (h *HelperBinary) writeTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for _, f := range h.files {
		rel := strings.TrimPrefix(f.target, "/")
		for d := filepath.Dir(rel); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(f.mod, 0)}); err != nil {
				return err
			}
		}
		src, err := os.Open(f.host)
		if err != nil {
			return fmt.Errorf("open sync helper file %s: %w", f.host, err)
		}
		err = tw.WriteHeader(&tar.Header{Name: rel, Mode: 0o755, Size: f.size, ModTime: time.Unix(f.mod, 0), Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.CopyN(tw, src, f.size)
		}
		src.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// Conn is a running sync helper: one long-lived exec whose stdin carries requests and whose stdout
// carries acks. Its methods are for one goroutine at a time.
type Conn struct {
	*syncd.Client
	closer interface {
		CloseWrite() error
		Close()
	}
	done   chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
}

// Connect starts the installed helper in container id as root (so it can give files any owner)
// and says hello with the container directories it may change.
func (h *HelperBinary) Connect(ctx context.Context, eng *engine.Client, id string, roots []string) (*Conn, error) {
	ex, err := eng.StartExec(ctx, id, engine.ExecOptions{User: "0:0", Stdin: true, Cmd: h.cmd})
	if err != nil {
		return nil, fmt.Errorf("start sync helper: %w", err)
	}
	c := &Conn{closer: ex, done: make(chan struct{})}
	pr, pw := io.Pipe()
	go func() {
		defer close(c.done)
		err := ex.Copy(pw, lockedWriter{&c.mu, &c.stderr})
		if err == nil {
			err = io.EOF
		}
		pw.CloseWithError(err)
	}()
	c.Client = syncd.NewClient(ex, pr)
	if err := c.Hello(ctx, roots); err != nil {
		c.Close()
		return nil, fmt.Errorf("start sync helper: %w%s", err, c.stderrTail())
	}
	return c, nil
}

// Done is closed when the helper's stream ends: the container stopped or the helper exited.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close ends the helper: closing its stdin makes it exit.
func (c *Conn) Close() {
	_ = c.closer.CloseWrite()
	c.closer.Close()
}

func (c *Conn) stderrTail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := strings.TrimSpace(c.stderr.String())
	if s == "" {
		return ""
	}
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	return " (helper said: " + s + ")"
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
