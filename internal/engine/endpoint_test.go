package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerConfig is a temporary docker configuration directory with a context store laid out as the
// docker CLI lays it out.
type dockerConfig struct {
	t   *testing.T
	dir string
}

// newDockerConfig makes an empty configuration directory and clears the variables that would
// otherwise leak the developer's own engine choice into the test.
func newDockerConfig(t *testing.T) dockerConfig {
	t.Helper()
	for _, v := range []string{"DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_TLS", "DOCKER_CERT_PATH"} {
		t.Setenv(v, "")
	}
	return dockerConfig{t: t, dir: t.TempDir()}
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
			c := newDockerConfig(t)
			t.Setenv("DOCKER_HOST", host)
			ep, err := resolveEndpoint(Options{}, c.dir)
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != host || ep.Origin != "DOCKER_HOST" || ep.TLSData != nil || ep.SkipTLSVerify {
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
			ep, err := resolveEndpoint(Options{}, c.dir)
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
		ep, err := resolveEndpoint(Options{}, c.dir)
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
		ep, err := resolveEndpoint(Options{}, c.dir)
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
		for _, f := range []string{"ca", "cert", "key"} {
			c.write(filepath.Join(tlsDir, f+".pem"), f)
		}
		ep, err := resolveEndpoint(Options{Context: "secure"}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := ep.TLSData; d == nil || string(d.CA) != "ca" || string(d.Cert) != "cert" || string(d.Key) != "key" {
			t.Errorf("got TLS %+v, want the files under %s", ep.TLSData, filepath.Join(c.dir, tlsDir))
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
			ep, err := resolveEndpoint(tc.opts, c.dir)
			if err != nil {
				t.Fatal(err)
			}
			if ep.Host != tc.wantHost || ep.Origin != tc.wantOrigin {
				t.Errorf("got %s (%s), want %s (%s)", ep.Host, ep.Origin, tc.wantHost, tc.wantOrigin)
			}
		})
	}
}

// TestResolveEnvTLS checks DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH as the docker CLI reads
// them for -H and DOCKER_HOST: ca.pem is required, cert.pem and key.pem are taken when present, and
// only DOCKER_TLS_VERIFY verifies the engine.
func TestResolveEnvTLS(t *testing.T) {
	t.Run("DOCKER_TLS_VERIFY with DOCKER_CERT_PATH", func(t *testing.T) {
		c := newDockerConfig(t)
		certs := t.TempDir()
		for _, f := range []string{"ca", "cert", "key"} {
			writeTestFile(t, filepath.Join(certs, f+".pem"), f)
		}
		t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:2376")
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", certs)
		ep, err := resolveEndpoint(Options{}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := ep.TLSData; d == nil || string(d.CA) != "ca" || string(d.Cert) != "cert" || string(d.Key) != "key" || ep.SkipTLSVerify {
			t.Errorf("got %+v, want verified TLS with the files of %s", ep, certs)
		}
	})
	t.Run("DOCKER_TLS without a client certificate, from the config directory", func(t *testing.T) {
		c := newDockerConfig(t)
		c.write("ca.pem", "ca")
		t.Setenv("DOCKER_TLS", "1")
		ep, err := resolveEndpoint(Options{Host: "tcp://127.0.0.1:2376"}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := ep.TLSData; d == nil || string(d.CA) != "ca" || d.Cert != nil || d.Key != nil || !ep.SkipTLSVerify {
			t.Errorf("got %+v, want unverified TLS with only the CA", ep)
		}
	})
	t.Run("TLS and no host: the CLI's TLS port on localhost", func(t *testing.T) {
		c := newDockerConfig(t)
		c.write("ca.pem", "ca")
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		ep, err := resolveEndpoint(Options{}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if ep.Host != "tcp://localhost:2376" || !strings.Contains(ep.Origin, "DOCKER_TLS_VERIFY") {
			t.Errorf("got %s (%s), want tcp://localhost:2376 from DOCKER_TLS_VERIFY", ep.Host, ep.Origin)
		}
	})
	t.Run("missing ca.pem names the file and the variable", func(t *testing.T) {
		c := newDockerConfig(t)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		_, err := resolveEndpoint(Options{Host: "tcp://127.0.0.1:2376"}, c.dir)
		wantAll(t, err, "tcp://127.0.0.1:2376", "--host", "DOCKER_TLS_VERIFY", filepath.Join(c.dir, "ca.pem"))
	})
	t.Run("a context's TLS is its own, not the environment's", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("plain", "tcp://127.0.0.1:2375")
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		ep, err := resolveEndpoint(Options{Context: "plain"}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if ep.TLSData != nil || ep.SkipTLSVerify {
			t.Errorf("got %+v, want no TLS", ep)
		}
	})
}

func TestResolveContextErrors(t *testing.T) {
	t.Run("unknown context names itself, its source and the file looked for", func(t *testing.T) {
		c := newDockerConfig(t)
		t.Setenv("DOCKER_CONTEXT", "nosuch")
		_, err := resolveEndpoint(Options{}, c.dir)
		wantAll(t, err, `"nosuch"`, "DOCKER_CONTEXT", "not found", filepath.Join(c.dir, "contexts", "meta", contextID("nosuch"), "meta.json"))
	})
	t.Run("unknown --context", func(t *testing.T) {
		c := newDockerConfig(t)
		_, err := resolveEndpoint(Options{Context: "typo"}, c.dir)
		wantAll(t, err, `"typo"`, "--context", "not found")
	})
	t.Run("unknown currentContext names the config file", func(t *testing.T) {
		c := newDockerConfig(t)
		c.setCurrent("gone")
		_, err := resolveEndpoint(Options{}, c.dir)
		wantAll(t, err, `"gone"`, "currentContext", filepath.Join(c.dir, "config.json"))
	})
	t.Run("corrupt meta.json", func(t *testing.T) {
		c := newDockerConfig(t)
		p := c.write(filepath.Join("contexts", "meta", contextID("broken"), "meta.json"), `{"Endpoints":`)
		_, err := resolveEndpoint(Options{Context: "broken"}, c.dir)
		wantAll(t, err, `"broken"`, "--context", p)
	})
	t.Run("context without a docker endpoint", func(t *testing.T) {
		c := newDockerConfig(t)
		p := c.write(filepath.Join("contexts", "meta", contextID("kubeonly"), "meta.json"),
			`{"Name":"kubeonly","Endpoints":{"kubernetes":{"Host":"https://127.0.0.1:6443"}}}`)
		_, err := resolveEndpoint(Options{Context: "kubeonly"}, c.dir)
		wantAll(t, err, `"kubeonly"`, "no docker endpoint", filepath.Dir(p))
	})
}

// TestSSHAddressErrors checks that an ssh:// address the docker CLI's helper refuses is refused
// before anything runs, naming the address and where it came from.
func TestSSHAddressErrors(t *testing.T) {
	for _, raw := range []string{"ssh://", "ssh://host?x=1", "ssh://u:secret@host", "ssh://host:port:bad", "ssh://host#frag"} {
		c := newDockerConfig(t)
		t.Setenv("DOCKER_HOST", raw)
		_, err := resolveAndConnect(t, Options{}, c.dir)
		if err == nil || !strings.Contains(err.Error(), raw) || !strings.Contains(err.Error(), "DOCKER_HOST") {
			t.Errorf("%s: got %v, want an error naming the address and DOCKER_HOST", raw, err)
		}
	}
}

// TestConnectNamesEndpointAndOrigin needs no engine: it dials addresses nothing listens on and checks
// the error says which address was tried and where it came from.
func TestConnectNamesEndpointAndOrigin(t *testing.T) {
	t.Run("unix socket from DOCKER_HOST", func(t *testing.T) {
		c := newDockerConfig(t)
		sock := "unix://" + filepath.Join(t.TempDir(), "nothing.sock")
		t.Setenv("DOCKER_HOST", sock)
		_, err := resolveAndConnect(t, Options{}, c.dir)
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
		_, err = resolveAndConnect(t, Options{Context: "closed"}, c.dir)
		wantAll(t, err, addr, `context "closed"`)
	})
	t.Run("ssh client missing", func(t *testing.T) {
		c := newDockerConfig(t)
		t.Setenv("PATH", t.TempDir())
		_, err := resolveAndConnect(t, Options{Host: "ssh://u@127.0.0.1:1"}, c.dir)
		wantAll(t, err, "ssh://u@127.0.0.1:1", "needs the ssh client")
	})
}

// TestConnectTLS reaches an HTTPS engine (a test server answering /_ping) with the TLS a context or
// the environment gives, and is refused without it: the material is really used, not only read.
func TestConnectTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below are expected
	srv.StartTLS()
	defer srv.Close()
	host := "tcp://" + srv.Listener.Addr().String()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	t.Run("a context's ca.pem", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("tls", host)
		c.write(filepath.Join("contexts", "tls", contextID("tls"), "docker", "ca.pem"), ca)
		eng, err := resolveAndConnect(t, Options{Context: "tls"}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		eng.Close()
	})
	t.Run("a context's SkipTLSVerify", func(t *testing.T) {
		c := newDockerConfig(t)
		c.write(filepath.Join("contexts", "meta", contextID("insecure"), "meta.json"),
			`{"Name":"insecure","Endpoints":{"docker":{"Host":"`+host+`","SkipTLSVerify":true}}}`)
		eng, err := resolveAndConnect(t, Options{Context: "insecure"}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		eng.Close()
	})
	t.Run("DOCKER_TLS_VERIFY and DOCKER_CERT_PATH", func(t *testing.T) {
		c := newDockerConfig(t)
		certs := t.TempDir()
		writeTestFile(t, filepath.Join(certs, "ca.pem"), ca)
		t.Setenv("DOCKER_HOST", host)
		t.Setenv("DOCKER_TLS_VERIFY", "1")
		t.Setenv("DOCKER_CERT_PATH", certs)
		eng, err := resolveAndConnect(t, Options{}, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		eng.Close()
	})
	t.Run("another CA: the engine's certificate is refused", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("untrusted", host)
		c.write(filepath.Join("contexts", "tls", contextID("untrusted"), "docker", "ca.pem"), otherCA(t))
		_, err := resolveAndConnect(t, Options{Context: "untrusted"}, c.dir)
		wantAll(t, err, host, `context "untrusted"`, "not trusted")
	})
	t.Run("a ca.pem without a certificate", func(t *testing.T) {
		c := newDockerConfig(t)
		c.addContext("badca", host)
		c.write(filepath.Join("contexts", "tls", contextID("badca"), "docker", "ca.pem"), "not PEM")
		_, err := resolveAndConnect(t, Options{Context: "badca"}, c.dir)
		wantAll(t, err, host, `context "badca"`, "ca.pem")
	})
}

// otherCA is a self-signed certificate that signed nothing the test server presents.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func resolveAndConnect(t *testing.T, o Options, cfgDir string) (*Client, error) {
	t.Helper()
	ep, err := resolveEndpoint(o, cfgDir)
	if err != nil {
		return nil, err
	}
	return connect(context.Background(), ep)
}

func writeTestFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
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
