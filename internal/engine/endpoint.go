package engine

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

type tlsFiles struct{ CA, Cert, Key string }

type endpoint struct {
	Host   string
	Origin string
	TLS    *tlsFiles
}

// resolveEndpoint follows the docker CLI's precedence: an explicit host, DOCKER_HOST, then a context
// named by --context, DOCKER_CONTEXT or config.json's currentContext, then the default socket.
func resolveEndpoint(o Options) (endpoint, error) {
	if o.Host != "" {
		return endpoint{Host: o.Host, Origin: "--host"}, nil
	}
	name := o.Context
	origin := "--context"
	if name == "" {
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			return endpoint{Host: h, Origin: "DOCKER_HOST"}, nil
		}
		name, origin = os.Getenv("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	}
	cfgDir := dockerConfigDir()
	if name == "" {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if b, err := os.ReadFile(filepath.Join(cfgDir, "config.json")); err == nil && json.Unmarshal(b, &cfg) == nil {
			name, origin = cfg.CurrentContext, "docker config currentContext"
		}
	}
	if name == "" || name == "default" {
		return endpoint{Host: "unix:///var/run/docker.sock", Origin: "default socket"}, nil
	}
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaPath := filepath.Join(cfgDir, "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return endpoint{}, fmt.Errorf("docker context %q (from %s) not found: no %s", name, origin, metaPath)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string `json:"Host"`
			SkipTLSVerify bool   `json:"SkipTLSVerify"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return endpoint{}, fmt.Errorf("docker context %q: read %s: %w", name, metaPath, err)
	}
	d, ok := meta.Endpoints["docker"]
	if !ok || d.Host == "" {
		return endpoint{}, fmt.Errorf("docker context %q has no docker endpoint (%s)", name, metaPath)
	}
	ep := endpoint{Host: d.Host, Origin: fmt.Sprintf("context %q", name)}
	tlsDir := filepath.Join(cfgDir, "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tlsDir, "cert.pem")); err == nil {
		ep.TLS = &tlsFiles{CA: filepath.Join(tlsDir, "ca.pem"), Cert: filepath.Join(tlsDir, "cert.pem"), Key: filepath.Join(tlsDir, "key.pem")}
	}
	return ep, nil
}

func dockerConfigDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker")
}

// sshDialer reaches a remote engine the way the docker CLI does: `ssh HOST docker system dial-stdio`
// carries the API over the ssh session's stdin and stdout. What ssh last wrote on stderr (a refused
// key, an unknown host, no docker on the remote) is kept for the error when the engine does not answer.
func sshDialer(raw string) (func(ctx context.Context, network, addr string) (net.Conn, error), *sshStderr, error) {
	u, args, err := sshArgs(raw)
	if err != nil {
		return nil, nil, err
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		return nil, nil, fmt.Errorf("docker host %q needs the ssh client: %w", raw, err)
	}
	stderr := &sshStderr{}
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		cmd := exec.Command("ssh", args...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		stderr.reset()
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("ssh to %s: %w", u.Hostname(), err)
		}
		return &cmdConn{cmd: cmd, r: bufio.NewReader(stdout), w: stdin}, nil
	}, stderr, nil
}

// sshStderr keeps the first KiB of the latest ssh session's stderr.
type sshStderr struct {
	mu  sync.Mutex
	buf []byte
}

func (s *sshStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := 1024 - len(s.buf); room > 0 {
		s.buf = append(s.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (s *sshStderr) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = nil
}

// String is the stderr on one line, for an error message.
func (s *sshStderr) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(strings.Fields(string(s.buf)), " ")
}

// sshArgs turns ssh://[user@]host[:port] into the ssh client's arguments. Anything else in the URL
// (a path, a query) has no meaning for dial-stdio and is refused rather than ignored.
func sshArgs(raw string) (*url.URL, []string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("docker host %q: %w", raw, err)
	}
	if u.Hostname() == "" {
		return nil, nil, fmt.Errorf("docker host %q: no host name after ssh://", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, nil, fmt.Errorf("docker host %q: an ssh:// address takes no path or query", raw)
	}
	if _, hasPass := u.User.Password(); hasPass {
		return nil, nil, fmt.Errorf("docker host %q: ssh:// takes no password; use a key or ssh-agent", raw)
	}
	var args []string
	if u.User != nil {
		args = append(args, "-l", u.User.Username())
	}
	if u.Port() != "" {
		args = append(args, "-p", u.Port())
	}
	args = append(args, "--", u.Hostname(), "docker", "system", "dial-stdio")
	return u, args, nil
}

// cmdConn adapts a child process's pipes to net.Conn for the HTTP transport.
type cmdConn struct {
	cmd *exec.Cmd
	r   *bufio.Reader
	w   io.WriteCloser

	once    sync.Once
	waitErr error
}

// Read reaps the process once its stdout ends, so everything it wrote on stderr has been copied by
// the time the transport reports the failed read.
func (c *cmdConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil {
		c.finish(false)
	}
	return n, err
}

func (c *cmdConn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *cmdConn) Close() error                { return c.finish(true) }

// finish closes stdin (ending dial-stdio on the remote), kills the process when asked or when it is
// still running 5 seconds later, and reaps it, once.
func (c *cmdConn) finish(kill bool) error {
	c.once.Do(func() {
		c.w.Close()
		if c.cmd.Process != nil {
			if kill {
				c.cmd.Process.Kill()
			} else {
				t := time.AfterFunc(5*time.Second, func() { c.cmd.Process.Kill() })
				defer t.Stop()
			}
		}
		c.waitErr = c.cmd.Wait()
	})
	return c.waitErr
}
func (c *cmdConn) LocalAddr() net.Addr                { return dummyAddr{} }
func (c *cmdConn) RemoteAddr() net.Addr               { return dummyAddr{} }
func (c *cmdConn) SetDeadline(t time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return nil }

type dummyAddr struct{}

func (dummyAddr) Network() string { return "ssh" }
func (dummyAddr) String() string  { return "ssh" }
