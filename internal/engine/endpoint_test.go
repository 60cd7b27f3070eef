package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dockerConfig is a temporary DOCKER_CONFIG with a context store laid out as the docker CLI lays it out.
type dockerConfig struct {
	t   *testing.T
	dir string
}

// newDockerConfig points DOCKER_CONFIG at an empty directory and clears the variables that would
// otherwise leak the developer's own engine choice into the test.
func newDockerConfig(t *testing.T) dockerConfig {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	return dockerConfig{t: t, dir: dir}
}

func (c dockerConfig) write(rel, body string) string {
	c.t.Helper()
	p := filepath.Join(c.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

func contextID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// addContext writes a context's meta.json as `docker context create NAME --docker host=HOST` does.
func (c dockerConfig) addContext(name, host string) string {
	return c.write(filepath.Join("contexts", "meta", contextID(name), "meta.json"),
		`{"Name":"`+name+`","Metadata":{"Description":""},"Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":false}}}`)
}

func (c dockerConfig) setCurrent(name string) {
	c.write("config.json", `{"auths":{},"currentContext":"`+name+`"}`)
}

func TestResolveDockerHostForms(t *testing.T) {
	for _, host := range []string{
		"unix:///run/user/1000/docker.sock",
		"tcp://127.0.0.1:2375",
		"ssh://deploy@gpu-box.internal:2222",
	} {
		t.Run(host, func(t *testing.T) {
			newDockerConfig(t)
			t.Setenv("DOCKER_HOST", host)
			ep, err := resolveEndpoint(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != host || ep.Origin != "DOCKER_HOST" || ep.TLS != nil {
				t.Errorf("got %+v, want host %s from DOCKER_HOST without TLS", ep, host)
			}
		})
	}
}

func TestResolveDefaultSocket(t *testing.T) {
	for name, setup := range map[string]func(c dockerConfig){
		"nothing set":               func(dockerConfig) {},
		"config without a context":  func(c dockerConfig) { c.write("config.json", `{"auths":{}}`) },
		"current context default":   func(c dockerConfig) { c.setCurrent("default") },
		"DOCKER_CONTEXT default":    func(c dockerConfig) { c.t.Setenv("DOCKER_CONTEXT", "default") },
		"unreadable config ignored": func(c dockerConfig) { c.write("config.json", `{not json`) },
	} {
		t.Run(name, func(t *testing.T) {
			c := newDockerConfig(t)
			setup(c)
			ep, err := resolveEndpoint(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != "unix:///var/run/docker.sock" || ep.Origin != "default socket" {
				t.Errorf("got %+v, want the default socket", ep)
			}
		})
	}
}

func TestResolveContextSources(t *testing.T) {
	t.Run("DOCKER_CONTEXT", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("remote", "ssh://ops@10.0.0.5")
		t.Setenv("DOCKER_CONTEXT", "remote")
		ep, err := resolveEndpoint(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ep.Host != "ssh://ops@10.0.0.5" || ep.Origin != `context "remote"` {
			t.Errorf("got %+v, want ssh://ops@10.0.0.5 from context remote", ep)
		}
	})
	t.Run("config currentContext", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("lab", "tcp://127.0.0.1:2376")
		c.setCurrent("lab")
		ep, err := resolveEndpoint(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ep.Host != "tcp://127.0.0.1:2376" || ep.Origin != `context "lab"` {
			t.Errorf("got %+v, want tcp://127.0.0.1:2376 from context lab", ep)
		}
	})
	t.Run("TLS material beside the context", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("secure", "tcp://127.0.0.1:2376")
		tlsDir := filepath.Join("contexts", "tls", contextID("secure"), "docker")
		for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
			c.write(filepath.Join(tlsDir, f), "pem")
		}
		ep, err := resolveEndpoint(Options{Context: "secure"})
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(c.dir, tlsDir)
		if ep.TLS == nil || ep.TLS.Cert != filepath.Join(want, "cert.pem") || ep.TLS.CA != filepath.Join(want, "ca.pem") || ep.TLS.Key != filepath.Join(want, "key.pem") {
			t.Errorf("got TLS %+v, want the files under %s", ep.TLS, want)
		}
	})
}

// TestResolvePrecedence checks the docker CLI's order: -H, --context, DOCKER_HOST, DOCKER_CONTEXT,
// then config.json's currentContext. Each case sets every source and removes the winners above it.
func TestResolvePrecedence(t *testing.T) {
	cases := []struct {
		name       string
		opts       Options
		dockerHost string
		dockerCtx  string
		wantHost   string
		wantOrigin string
	}{
		{"flag -H beats everything", Options{Host: "tcp://127.0.0.1:1001", Context: "flagctx"}, "tcp://127.0.0.1:1003", "envctx", "tcp://127.0.0.1:1001", "--host"},
		{"--context beats DOCKER_HOST", Options{Context: "flagctx"}, "tcp://127.0.0.1:1003", "envctx", "tcp://127.0.0.1:1002", `context "flagctx"`},
		{"DOCKER_HOST beats DOCKER_CONTEXT", Options{}, "tcp://127.0.0.1:1003", "envctx", "tcp://127.0.0.1:1003", "DOCKER_HOST"},
		{"DOCKER_CONTEXT beats currentContext", Options{}, "", "envctx", "tcp://127.0.0.1:1004", `context "envctx"`},
		{"currentContext last", Options{}, "", "", "tcp://127.0.0.1:1005", `context "cfgctx"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newDockerConfig(t)
			c.addContext("flagctx", "tcp://127.0.0.1:1002")
			c.addContext("envctx", "tcp://127.0.0.1:1004")
			c.addContext("cfgctx", "tcp://127.0.0.1:1005")
			c.setCurrent("cfgctx")
			t.Setenv("DOCKER_HOST", tc.dockerHost)
			t.Setenv("DOCKER_CONTEXT", tc.dockerCtx)
			ep, err := resolveEndpoint(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != tc.wantHost || ep.Origin != tc.wantOrigin {
				t.Errorf("got %s (%s), want %s (%s)", ep.Host, ep.Origin, tc.wantHost, tc.wantOrigin)
			}
		})
	}
}

func TestResolveContextErrors(t *testing.T) {
	t.Run("unknown context names itself, its source and the file looked for", func(t *testing.T) {
		c := newDockerConfig(t)
		t.Setenv("DOCKER_CONTEXT", "nosuch")
		_, err := resolveEndpoint(Options{})
		wantAll(t, err, `"nosuch"`, "DOCKER_CONTEXT", filepath.Join(c.dir, "contexts", "meta", contextID("nosuch"), "meta.json"))
	})
	t.Run("unknown --context", func(t *testing.T) {
		newDockerConfig(t)
		_, err := resolveEndpoint(Options{Context: "typo"})
		wantAll(t, err, `"typo"`, "--context")
	})
	t.Run("unknown currentContext", func(t *testing.T) {
		c := newDockerConfig(t)
		c.setCurrent("gone")
		_, err := resolveEndpoint(Options{})
		wantAll(t, err, `"gone"`, "currentContext")
	})
	t.Run("corrupt meta.json", func(t *testing.T) {
		c := newDockerConfig(t)
		p := c.write(filepath.Join("contexts", "meta", contextID("broken"), "meta.json"), `{"Endpoints":`)
		_, err := resolveEndpoint(Options{Context: "broken"})
		wantAll(t, err, `"broken"`, p)
	})
	t.Run("context without a docker endpoint", func(t *testing.T) {
		c := newDockerConfig(t)
		p := c.write(filepath.Join("contexts", "meta", contextID("kubeonly"), "meta.json"),
			`{"Name":"kubeonly","Endpoints":{"kubernetes":{"Host":"https://127.0.0.1:6443"}}}`)
		_, err := resolveEndpoint(Options{Context: "kubeonly"})
		wantAll(t, err, `"kubeonly"`, "no docker endpoint", p)
	})
}

func TestSSHArgs(t *testing.T) {
	ok := []struct {
		raw  string
		want []string
	}{
		{"ssh://user@host:2222", []string{"-l", "user", "-p", "2222", "--", "host", "docker", "system", "dial-stdio"}},
		{"ssh://host", []string{"--", "host", "docker", "system", "dial-stdio"}},
		{"ssh://root@127.0.0.1", []string{"-l", "root", "--", "127.0.0.1", "docker", "system", "dial-stdio"}},
		{"ssh://u@[::1]:22/", []string{"-l", "u", "-p", "22", "--", "::1", "docker", "system", "dial-stdio"}},
		// A host that looks like an option must reach ssh as a host, not as -o.
		{"ssh://-oProxyCommand=x", []string{"--", "-oProxyCommand=x", "docker", "system", "dial-stdio"}},
	}
	for _, tc := range ok {
		_, got, err := sshArgs(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ssh %q, want ssh %q", tc.raw, got, tc.want)
		}
	}
	for _, raw := range []string{"ssh://", "ssh://host/some/path", "ssh://host?x=1", "ssh://u:secret@host", "ssh://host:port:bad"} {
		if _, _, err := sshArgs(raw); err == nil || !strings.Contains(err.Error(), raw) {
			t.Errorf("%s: got %v, want an error naming the address", raw, err)
		}
	}
}

// TestConnectNamesEndpointAndOrigin needs no engine: it dials addresses nothing listens on and checks
// the error says which address was tried and where it came from.
func TestConnectNamesEndpointAndOrigin(t *testing.T) {
	t.Run("unix socket from DOCKER_HOST", func(t *testing.T) {
		newDockerConfig(t)
		sock := "unix://" + filepath.Join(t.TempDir(), "nothing.sock")
		t.Setenv("DOCKER_HOST", sock)
		_, err := Connect(context.Background(), Options{})
		wantAll(t, err, sock, "DOCKER_HOST", "is dockerd running?")
	})
	t.Run("tcp from a context", func(t *testing.T) {
		c := newDockerConfig(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := "tcp://" + l.Addr().String()
		l.Close() // a port just freed: the dial is refused at once
		c.addContext("closed", addr)
		_, err = Connect(context.Background(), Options{Context: "closed"})
		wantAll(t, err, addr, `context "closed"`)
	})
	t.Run("ssh client missing", func(t *testing.T) {
		newDockerConfig(t)
		t.Setenv("PATH", t.TempDir())
		_, err := Connect(context.Background(), Options{Host: "ssh://u@127.0.0.1:1"})
		wantAll(t, err, "ssh://u@127.0.0.1:1", "needs the ssh client")
	})
}

func wantAll(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name %q", err, p)
		}
	}
}
