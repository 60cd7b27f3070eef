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
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/syncd"
)

// HelperPath is where the sync helper is copied in a container.
const HelperPath = "/.mlstack-syncd"

// HelperCommand is mlstack's hidden subcommand that serves the sync protocol on stdin and stdout.
const HelperCommand = "__syncd"

// HelperBinary is the static mlstack executable copied into containers as their sync helper.
type HelperBinary struct {
	// Path is the host file.
	Path string
	// Arch is its GOARCH (amd64, arm64, ...), to refuse containers it cannot run in.
	Arch string
	size int64
	mod  int64
}

// elfArch maps ELF machine types to the GOARCH names images report.
var elfArch = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
	elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64",
}

// FindHelper checks that path (mlstack's own executable when empty) can run in any Linux container:
// a static ELF file with no program interpreter, so it works even in FROM scratch images.
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
		return nil, fmt.Errorf("sync helper %s: not a Linux executable (%v); watch copies mlstack itself into containers, so run a Linux build of mlstack", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("sync helper %s is dynamically linked; watch copies mlstack itself into containers (which may have no libc), so build it static: CGO_ENABLED=0 go build ./cmd/mlstack (make build does)", path)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sync helper: %w", err)
	}
	return &HelperBinary{Path: path, Arch: elfArch[f.Machine], size: fi.Size(), mod: fi.ModTime().Unix()}, nil
}

// Install copies the helper to HelperPath in container id through the archive API, unless an
// identical copy (same size and mtime) is already there, as after a restart.
func (h *HelperBinary) Install(ctx context.Context, eng *engine.Client, id string) error {
	if st, err := eng.ContainerStatPath(ctx, id, HelperPath); err == nil && st.Size == h.size && st.Mtime.Unix() == h.mod {
		return nil
	}
	in, err := eng.ContainerInspect(ctx, id)
	if err != nil {
		return fmt.Errorf("inspect container: %w", err)
	}
	if img, err := eng.ImageInspect(ctx, in.Image); err == nil && h.Arch != "" && img.Architecture != "" && img.Architecture != h.Arch {
		return fmt.Errorf("image %s is built for %s and mlstack for %s, so mlstack cannot run in it as the sync helper", in.Config.Image, img.Architecture, h.Arch)
	}
	f, err := os.Open(h.Path)
	if err != nil {
		return fmt.Errorf("open sync helper: %w", err)
	}
	defer f.Close()
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{
			Name: strings.TrimPrefix(HelperPath, "/"), Mode: 0o755, Size: h.size,
			ModTime: time.Unix(h.mod, 0), Typeflag: tar.TypeReg,
		})
		if err == nil {
			_, err = io.CopyN(tw, f, h.size)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	if err := eng.CopyToContainer(ctx, id, "/", pr, container.CopyToContainerOptions{}); err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("copy sync helper to %s: %w", HelperPath, err)
	}
	return nil
}

// Conn is a running sync helper: one long-lived exec whose stdin carries requests and whose stdout
// carries acks. Its methods are for one goroutine at a time.
type Conn struct {
	*syncd.Client
	execID string
	closer interface {
		CloseWrite() error
		Close()
	}
	done   chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
}

// Connect starts the helper in container id as root (so it can give files any owner) and says
// hello with the container directories it may change.
func Connect(ctx context.Context, eng *engine.Client, id string, roots []string) (*Conn, error) {
	ex, err := eng.ContainerExecCreate(ctx, id, container.ExecOptions{
		User: "0:0", AttachStdin: true, AttachStdout: true, AttachStderr: true,
		Cmd: []string{HelperPath, HelperCommand},
	})
	if err != nil {
		return nil, fmt.Errorf("start sync helper: %w", err)
	}
	resp, err := eng.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("start sync helper: %w", err)
	}
	c := &Conn{execID: ex.ID, closer: &resp, done: make(chan struct{})}
	pr, pw := io.Pipe()
	go func() {
		defer close(c.done)
		_, err := stdcopy.StdCopy(pw, lockedWriter{&c.mu, &c.stderr}, resp.Reader)
		if err == nil {
			err = io.EOF
		}
		pw.CloseWithError(err)
	}()
	c.Client = syncd.NewClient(resp.Conn, pr)
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
