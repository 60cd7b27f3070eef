package stack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/mlstack/mlstack/internal/flock"
)

// lock serialises the commands that change one project's containers, across processes and project
// directories: one lock per (engine ID, project name), so two checkouts with one `name:` take turns
// on the same engine instead of racing into duplicate networks. A second `up` says what it waits for.
func (s *Stack) lock(ctx context.Context) (func(), error) {
	dir := lockDir()
	id, err := s.engineID(ctx, dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockName(id, s.Name()))
	l, err := flock.Lock(ctx, path, func(holder string) {
		s.UI.Info("waiting for another mlstack command on project %q to finish (%s)", s.Name(), strings.TrimSpace(holder))
	})
	if err != nil {
		return nil, err
	}
	wd := s.Project.WorkingDir
	l.Note("pid " + strconv.Itoa(os.Getpid()) + " in " + wd + " since " + time.Now().Format(time.TimeOnly) + "\n")
	return l.Unlock, nil
}

// lockDir is where the per-project locks live: the user's runtime directory, else a private
// directory under the system's temporary one.
func lockDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "mlstack", "locks")
	}
	return filepath.Join(os.TempDir(), "mlstack-"+strconv.Itoa(os.Getuid()), "locks")
}

// lockName is the lock file of one project on one engine. Characters a compose project name cannot
// have (a -p given with no file to check it against) become "_", so the name stays one file.
func lockName(engineID, project string) string {
	sum := sha256.Sum256([]byte(engineID))
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, project)
	return hex.EncodeToString(sum[:6]) + "-" + safe + ".lock"
}

// engineID returns the engine's ID (Info.ID, stable across daemon restarts), remembered per engine
// address in the lock directory so that a no-op `up` does not pay for an Info call each time.
func (s *Stack) engineID(ctx context.Context, dir string) (string, error) {
	sum := sha256.Sum256([]byte(s.api().Addr()))
	cache := filepath.Join(dir, "engine-"+hex.EncodeToString(sum[:6]))
	if b, err := os.ReadFile(cache); err == nil && len(b) > 0 {
		return string(b), nil
	}
	info, err := s.api().Info(ctx)
	if err != nil {
		return "", fmt.Errorf("lock project %q: engine info: %w", s.Name(), err)
	}
	if err := os.MkdirAll(dir, 0o700); err == nil {
		tmp, err := os.CreateTemp(dir, ".engine-*")
		if err == nil {
			_, werr := tmp.WriteString(info.ID)
			if tmp.Close() == nil && werr == nil {
				_ = os.Rename(tmp.Name(), cache)
			}
			os.Remove(tmp.Name())
		}
	}
	return info.ID, nil
}

// duplicateNetwork explains a network name that several networks share (left by commands that raced
// before the lock was per engine), with the command that removes the extras; nil when it is not that.
func (s *Stack) duplicateNetwork(ctx context.Context, name string) error {
	list, err := s.api().NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil
	}
	var same []network.Summary
	for _, n := range list {
		if n.Name == name { // the filter matches on a substring
			same = append(same, n)
		}
	}
	if len(same) < 2 {
		return nil
	}
	slices.SortFunc(same, func(a, b network.Summary) int { return a.Created.Compare(b.Created) })
	var extra []string
	for _, n := range same[1:] {
		extra = append(extra, n.ID[:12])
	}
	return fmt.Errorf("%d networks are named %s (IDs %s, %s); the engine cannot tell them apart. Keep the oldest and remove the others: docker network rm %s (or remove them all with mlstack -p %s down)",
		len(same), name, same[0].ID[:12], strings.Join(extra, ", "), strings.Join(extra, " "), s.Name())
}
