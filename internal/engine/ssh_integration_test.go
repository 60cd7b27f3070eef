package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/testenv"
)

// TestSSHEndpointReachesEngine connects through ssh://root@127.0.0.1:PORT to a real sshd, which runs
// `docker system dial-stdio` against the local engine, and checks the engine reached is that engine:
// from engine.Connect, from `mlstack -H`, and from a docker context chosen by DOCKER_CONTEXT.
// Everything (host key, client key, authorized_keys, configs) lives in temp dirs: neither the system's
// sshd config nor ~/.ssh is read or changed. The ssh client is given its config by a wrapper named
// `ssh` first on PATH, since OpenSSH finds ~/.ssh from the password database, not from $HOME.
func TestSSHEndpointReachesEngine(t *testing.T) {
	local := testenv.Integration(t)
	if !strings.HasPrefix(local.Host, "unix://") {
		t.Fatalf("the ssh test forwards to a local engine socket; the test engine is at %s", local.Host)
	}
	if os.Geteuid() != 0 {
		// sshd drops privileges to its own user and needs /run/sshd: only root can start one.
		t.Skip("the ssh:// test starts its own sshd, which needs root; run make test as root (CI does)")
	}
	port, sshdLog := startSSHD(t, local.Host)

	// Each ssh login can take seconds on a loaded machine; the test makes five.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	host := fmt.Sprintf("ssh://root@127.0.0.1:%d", port)
	remote, err := engine.Connect(ctx, engine.Options{Host: host})
	if err != nil {
		t.Fatalf("connect through %s: %v\nsshd log:\n%s", host, err, readFile(t, sshdLog))
	}
	defer remote.Close()
	if remote.Host != host || remote.Origin != "--host" {
		t.Errorf("client says %s (%s), want %s (--host)", remote.Host, remote.Origin, host)
	}
	want, err := local.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Info(ctx)
	if err != nil {
		t.Fatalf("engine info through ssh: %v", err)
	}
	if got.ID != want.ID || got.ID == "" {
		t.Errorf("through ssh reached engine %q, want the local engine %q", got.ID, want.ID)
	}
	// The engine is the same either way; sshd's log shows the API really went through a login.
	if log := readFile(t, sshdLog); !strings.Contains(log, "Accepted publickey for root") {
		t.Errorf("sshd logged no key login for root:\n%s", log)
	}
	if !remote.AtLeast(engine.MinAPIVersion) {
		t.Errorf("negotiated API %s through ssh, want %s or newer", remote.APIVersion, engine.MinAPIVersion)
	}

	// When ssh fails, the error carries ssh's own words instead of a guess about dockerd.
	for _, tc := range []struct{ host, want string }{
		{fmt.Sprintf("ssh://mlstack-nosuchuser@127.0.0.1:%d", port), "Permission denied"},
		{fmt.Sprintf("ssh://root@127.0.0.1:%d", freePort(t)), "Connection refused"},
	} {
		_, err := engine.Connect(ctx, engine.Options{Host: tc.host})
		t.Logf("%s: %v", tc.host, err)
		if err == nil || !strings.Contains(err.Error(), tc.host) || !strings.Contains(err.Error(), "ssh says: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("connect to %s: got %v, want an error naming the address and ssh's %q", tc.host, err, tc.want)
		}
	}

	// What a user types: the CLI's -H takes the same path (the ssh wrapper is on this process's PATH).
	out, err := exec.CommandContext(ctx, testenv.Binary(t), "-H", host, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("mlstack -H %s version: %v\n%s", host, err, out)
	}
	v, err := remote.ServerVersion(ctx)
	if err != nil {
		t.Fatalf("engine version through ssh: %v", err)
	}
	if !strings.Contains(string(out), "engine "+v.Version) || !strings.Contains(string(out), "at "+host) {
		t.Errorf("mlstack -H %s version does not show the engine reached through ssh:\n%s", host, out)
	}

	// The same address as a docker context, written by the docker CLI's own store code into a
	// DOCKER_CONFIG of the test's, chosen by DOCKER_CONTEXT: what `docker context create` and
	// `DOCKER_CONTEXT=… mlstack` do.
	cfgDir := t.TempDir()
	s := store.New(filepath.Join(cfgDir, "contexts"), store.NewConfig(nil))
	if err := s.CreateOrUpdate(store.Metadata{Name: "viassh", Endpoints: map[string]any{"docker": docker.EndpointMeta{Host: host}}}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, testenv.Binary(t), "version")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir, "DOCKER_CONTEXT=viassh", "DOCKER_HOST=")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("DOCKER_CONTEXT=viassh mlstack version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "engine "+v.Version) || !strings.Contains(string(out), "at "+host) {
		t.Errorf("DOCKER_CONTEXT=viassh mlstack version does not show the engine reached through ssh:\n%s", out)
	}
}

// startSSHD runs sshd on a free loopback port with temp keys, a session environment whose DOCKER_HOST
// is the local engine, and a PATH wrapper that makes `ssh` use a temp client config. It fails, never
// skips, when sshd or ssh-keygen is missing. It returns the port and the path of sshd's log.
func startSSHD(t *testing.T, engineHost string) (int, string) {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if p, err := exec.LookPath("sshd"); err == nil {
		sshd = p
	}
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("the ssh:// test needs sshd (Debian: apt-get install openssh-server): %v", err)
	}
	sshPath, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatalf("the ssh:// test needs the ssh client (Debian: apt-get install openssh-client): %v", err)
	}
	// sshd refuses to start without its privilege-separation directory, which only its service unit creates.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshd's privilege-separation directory: %v", err)
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o700); err != nil {
		t.Fatal(err)
	}
	hostKey, clientKey := filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "client_ed25519")
	for _, k := range []string{hostKey, clientKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen %s: %v: %s", k, err, out)
		}
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, []byte(readFile(t, clientKey+".pub")), 0o600); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	sshdConfig := filepath.Join(dir, "sshd_config")
	writeFile(t, sshdConfig, strings.Join([]string{
		"ListenAddress 127.0.0.1",
		fmt.Sprintf("Port %d", port),
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authorized,
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"PidFile none",
		// dial-stdio in the session reaches the engine this test runs against.
		"SetEnv DOCKER_HOST=" + engineHost,
		"",
	}, "\n"))

	knownHosts := filepath.Join(dir, "known_hosts")
	writeFile(t, knownHosts, fmt.Sprintf("[127.0.0.1]:%d %s", port, readFile(t, hostKey+".pub")))
	clientConfig := filepath.Join(dir, "ssh_config")
	writeFile(t, clientConfig, strings.Join([]string{
		"Host 127.0.0.1",
		"  IdentityFile " + clientKey,
		"  IdentitiesOnly yes",
		"  IdentityAgent none",
		"  UserKnownHostsFile " + knownHosts,
		"  StrictHostKeyChecking yes",
		"  BatchMode yes",
		"",
	}, "\n"))
	wrapper := filepath.Join(dir, "bin", "ssh")
	writeFile(t, wrapper, fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", sshPath, clientConfig))
	if err := os.Chmod(wrapper, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))

	logPath := filepath.Join(dir, "sshd.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", sshdConfig)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); log.Close() }()
	t.Cleanup(func() {
		// Killing sshd under a live session would leave the session's process to init; the client is
		// closed by now, so give its session a bounded moment to end first.
		children := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if b, err := os.ReadFile(children); err != nil || len(bytes.TrimSpace(b)) == 0 {
				break
			}
		}
		cmd.Process.Kill()
		<-exited
	})

	// Bounded wait for sshd to listen; an early exit (bad config) ends it with sshd's own words.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port, logPath
		}
		select {
		case werr := <-exited:
			exited <- werr
			t.Fatalf("sshd exited before listening (%v):\n%s", werr, readFile(t, logPath))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on 127.0.0.1:%d within 20s:\n%s", port, readFile(t, logPath))
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b)) + "\n"
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}
