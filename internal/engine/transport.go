package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"
)

// clientOpts are the client options that reach ep, built as the docker CLI's Endpoint.ClientOpts
// builds them; that method cannot be called because it returns options for github.com/moby/moby/client,
// not for the github.com/docker/docker client mlstack uses. ssh:// goes through the CLI's connection
// helper (`ssh … docker system dial-stdio`); a TCP host gets the endpoint's TLS; a socket gets neither.
// ssh reports whether the connection helper carries the API, so that a failure can quote ssh.
func clientOpts(ep endpoint) (opts []client.Opt, ssh bool, err error) {
	helper, err := connhelper.GetConnectionHelper(ep.Host)
	if err != nil {
		return nil, false, fmt.Errorf("docker host %q (%s): %w", ep.Host, ep.Origin, err)
	}
	if helper != nil {
		// Checked here: the helper would only fail at the first request, as a failed dial.
		if _, err := exec.LookPath("ssh"); err != nil {
			return nil, false, fmt.Errorf("docker host %q needs the ssh client: %w", ep.Host, err)
		}
		return []client.Opt{
			client.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: helper.Dialer}}),
			client.WithHost(helper.Host),
			client.WithDialContext(helper.Dialer),
		}, true, nil
	}
	if proto, _, _ := strings.Cut(ep.Host, "://"); proto != "unix" && proto != "npipe" && proto != "fd" {
		cfg, err := tlsConfig(ep)
		if err != nil {
			return nil, false, fmt.Errorf("docker host %s (%s): %w", ep.Host, ep.Origin, err)
		}
		if cfg != nil {
			opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, CheckRedirect: client.CheckRedirect}))
		}
	}
	return append(opts, client.WithHost(ep.Host)), false, nil
}

// tlsConfig is the endpoint's TLS: its CA (else the system's roots), its client certificate, and
// SkipTLSVerify; nil when it has none of them, so the host is spoken to in plain HTTP.
func tlsConfig(ep endpoint) (*tls.Config, error) {
	if ep.TLSData == nil && !ep.SkipTLSVerify {
		return nil, nil
	}
	cfg := tlsconfig.ClientDefault()
	cfg.InsecureSkipVerify = ep.SkipTLSVerify
	if d := ep.TLSData; d != nil {
		if d.CA != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(d.CA) {
				return nil, errors.New("ca.pem holds no PEM certificate")
			}
			cfg.RootCAs = pool
		}
		if d.Cert != nil && d.Key != nil {
			cert, err := tls.X509KeyPair(d.Cert, d.Key)
			if err != nil {
				return nil, fmt.Errorf("cert.pem and key.pem: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
	}
	return cfg, nil
}

// sshError is a failed ssh session: what ssh wrote on stderr for the message, the transport's error
// as the cause.
type sshError struct {
	said string
	err  error
}

func (e sshError) Error() string { return "ssh says: " + e.said }
func (e sshError) Unwrap() error { return e.err }

// sshSaid is ssh's stderr on one line, from the connection helper's error, which ends in
// "stderr=<what ssh wrote>" when ssh exited; "" when it does not.
func sshSaid(err error) string {
	_, said, ok := strings.Cut(err.Error(), "stderr=")
	if !ok {
		return ""
	}
	return strings.Join(strings.Fields(said), " ")
}
