package gpu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FromRuntimes reads the engine's runtimes (Info.Runtimes keys). An nvidia runtime proves a GPU
// setup (known and has); its absence proves nothing on Engine 20.10, which also finds the nvidia
// hook on the daemon's PATH, so then known is false and the engine must be asked with a device request.
func FromRuntimes(runtimes []string) (known bool, has bool) {
	for _, r := range runtimes {
		// nvidia-container-toolkit registers "nvidia" and sometimes "nvidia-cdi", "nvidia-legacy".
		if r == "nvidia" || strings.HasPrefix(r, "nvidia-") {
			return true, true
		}
	}
	return false, false
}

// IsNoGPUError reports whether err is the engine refusing a container because it has no GPU
// (or no GPU driver) to give it.
func IsNoGPUError(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, m := range []string{
		// 20.10+: `could not select device driver "nvidia" with capabilities: [[gpu]]`, also for "cdi" and "".
		"could not select device driver",
		"unknown or invalid runtime name: nvidia",
		// Engine 25+ with CDI on but no spec for the name.
		"unresolvable cdi devices",
		// The toolkit is installed but finds no driver or device.
		"nvidia-container-cli: initialization error",
	} {
		if strings.Contains(msg, strings.ToLower(m)) {
			return true
		}
	}
	return false
}

// EngineKey identifies an engine for the Cache: the daemon's ID (Info.ID) and the host it is reached at.
func EngineKey(daemonID, host string) string {
	return daemonID + "@" + host
}

// DefaultTTL is how long a cached answer is trusted when Cache.TTL is zero.
const DefaultTTL = 12 * time.Hour

// Cache remembers, per engine, whether it has a GPU, in a JSON file at Path, so detection
// (which may cost a container start) is paid once per engine and session.
type Cache struct {
	// Path is the JSON file, e.g. ~/.cache/mlstack/gpu.json or <project>/.mlstack/cache/gpu.json.
	Path string
	// TTL is how long an answer stays valid; zero means DefaultTTL.
	TTL time.Duration
}

// Entry is one engine's cached answer.
type Entry struct {
	HasGPU    bool      `json:"has_gpu"`
	CheckedAt time.Time `json:"checked_at"`
	// How is how the answer was found, e.g. "runtimes" or "probe".
	How string `json:"how,omitempty"`
}

// Lookup returns the answer for engine when one younger than the TTL is stored. A missing or
// unreadable file is a miss, not an error: the cache only saves time.
func (c Cache) Lookup(engine string, now time.Time) (Entry, bool) {
	entries, err := c.read()
	if err != nil {
		return Entry{}, false
	}
	e, ok := entries[engine]
	if !ok || now.Sub(e.CheckedAt) > c.ttl() || e.CheckedAt.After(now) {
		return Entry{}, false
	}
	return e, true
}

// Store records the answer for engine, dropping expired entries of other engines.
func (c Cache) Store(engine string, e Entry, now time.Time) error {
	entries, err := c.read()
	if err != nil {
		entries = map[string]Entry{} // a corrupt cache is rewritten, not fatal
	}
	for k, old := range entries {
		if now.Sub(old.CheckedAt) > c.ttl() {
			delete(entries, k)
		}
	}
	if e.CheckedAt.IsZero() {
		e.CheckedAt = now
	}
	entries[engine] = e
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("store GPU cache %s: %w", c.Path, err)
	}
	if err := writeAtomic(c.Path, append(data, '\n')); err != nil {
		return fmt.Errorf("store GPU cache: %w", err)
	}
	return nil
}

// Forget removes engine's answer, e.g. after the engine refused a GPU the cache promised.
func (c Cache) Forget(engine string) error {
	entries, err := c.read()
	if err != nil {
		return nil
	}
	if _, ok := entries[engine]; !ok {
		return nil
	}
	delete(entries, engine)
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return fmt.Errorf("forget engine in GPU cache %s: %w", c.Path, err)
	}
	if err := writeAtomic(c.Path, append(data, '\n')); err != nil {
		return fmt.Errorf("forget engine in GPU cache: %w", err)
	}
	return nil
}

func (c Cache) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultTTL
}

func (c Cache) read() (map[string]Entry, error) {
	if c.Path == "" {
		return nil, errors.New("GPU cache has no path")
	}
	data, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read GPU cache: %w", err)
	}
	entries := map[string]Entry{}
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("read GPU cache %s: %w", c.Path, err)
	}
	return entries, nil
}

// writeAtomic replaces path with data so a concurrent reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
