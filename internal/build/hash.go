package build

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// cacheVersion changes whenever the cache layout or the hash encoding changes.
const cacheVersion = 1

// racyWindow keeps files changed this recently out of the cache: a second write within the
// filesystem's timestamp granularity could leave size and times equal while content differs.
const racyWindow = 2 * time.Second

type cacheEntry struct {
	Size    int64  `json:"size"`
	MtimeNs int64  `json:"mtime_ns"`
	CtimeNs int64  `json:"ctime_ns"`
	Ino     uint64 `json:"ino"`
	Sum     string `json:"sha256"`
}

type hashCache struct {
	Version int                   `json:"version"`
	Dir     string                `json:"dir"`
	Files   map[string]cacheEntry `json:"files"`
}

// Hash returns "sha256:<hex>" over everything that decides the built image: the walked files (path,
// mode, content or link target), the Dockerfile, build args, target, labels, and the local image ID of
// each base image (baseImageIDs maps the refs BaseImages returns to IDs). File contents are reused from
// CachePath when a file's size, mtime, ctime and inode are unchanged; a missing or corrupt cache is rebuilt.
func (c *Context) Hash(ctx context.Context, baseImageIDs map[string]string) (string, error) {
	files, err := c.Walk(ctx)
	if err != nil {
		return "", err
	}
	old := c.loadCache()
	sums := make([]string, len(files))
	var todo []int
	for i, f := range files {
		if !f.Mode.IsRegular() {
			continue
		}
		if e, ok := old.Files[f.Path]; ok && e.matches(f) {
			sums[i] = e.Sum
			continue
		}
		todo = append(todo, i)
	}
	if err := c.hashFiles(ctx, files, todo, sums); err != nil {
		return "", err
	}

	h := sha256.New()
	field(h, "mlstack-build-hash", fmt.Sprint(cacheVersion))
	field(h, "dockerfile", c.DockerfileName, string(c.dockerfileContent))
	for _, k := range slices.Sorted(maps.Keys(c.Args)) {
		field(h, "arg", k, c.Args[k])
	}
	field(h, "target", c.Target)
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		field(h, "label", k, c.Labels[k])
	}
	for _, k := range slices.Sorted(maps.Keys(baseImageIDs)) {
		field(h, "base", k, baseImageIDs[k])
	}
	for i, f := range files {
		field(h, "file", f.Path, f.Mode.String(), sums[i], f.Linkname)
	}
	sum := "sha256:" + hex.EncodeToString(h.Sum(nil))

	c.saveCache(old, files, sums, len(todo) > 0)
	return sum, nil
}

// field writes length-prefixed strings so that no two different inputs encode alike.
func field(h hash.Hash, parts ...string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(parts)))])
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		io.WriteString(h, p)
	}
}

func (e cacheEntry) matches(f File) bool {
	return e.Size == f.Size && e.MtimeNs == f.key.mtimeNs && e.CtimeNs == f.key.ctimeNs && e.Ino == f.key.ino && e.Sum != ""
}

// hashFiles fills sums[i] for each index in todo, reading files in parallel since a cold hash is I/O bound.
func (c *Context) hashFiles(ctx context.Context, files []File, todo []int, sums []string) error {
	if len(todo) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for i := range work {
				sum, err := fileSum(filepath.Join(c.Dir, filepath.FromSlash(files[i].Path)), buf)
				if err != nil {
					select {
					case errs <- fmt.Errorf("hash build context: %s: %w", files[i].Path, err):
					default:
					}
					cancel()
					continue
				}
				sums[i] = sum
			}
		}()
	}
feed:
	for _, i := range todo {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

func fileSum(path string, buf []byte) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	// Hiding (*os.File).WriteTo makes CopyBuffer reuse buf instead of allocating per file.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadCache returns the cache for this context, or an empty one when the file is missing, corrupt,
// from another version, or for another directory: the cache only ever saves work.
func (c *Context) loadCache() hashCache {
	empty := hashCache{Version: cacheVersion, Dir: c.Dir}
	if c.CachePath == "" {
		return empty
	}
	data, err := os.ReadFile(c.CachePath)
	if err != nil {
		return empty
	}
	var hc hashCache
	if json.Unmarshal(data, &hc) != nil || hc.Version != cacheVersion || hc.Dir != c.Dir {
		return empty
	}
	return hc
}

// saveCache writes the entries of the current walk, dropping racy and vanished files.
// Failing to write is not an error: the hash is already correct, only the next one is slower.
func (c *Context) saveCache(old hashCache, files []File, sums []string, hashedAny bool) {
	if c.CachePath == "" {
		return
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	racy := now().Add(-racyWindow).UnixNano()
	next := hashCache{Version: cacheVersion, Dir: c.Dir, Files: make(map[string]cacheEntry, len(old.Files))}
	for i, f := range files {
		if !f.Mode.IsRegular() || max(f.key.mtimeNs, f.key.ctimeNs) >= racy {
			continue
		}
		next.Files[f.Path] = cacheEntry{Size: f.Size, MtimeNs: f.key.mtimeNs, CtimeNs: f.key.ctimeNs, Ino: f.key.ino, Sum: sums[i]}
	}
	if !hashedAny && len(next.Files) == len(old.Files) {
		return
	}
	data, err := json.Marshal(next)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.CachePath), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.CachePath), filepath.Base(c.CachePath)+".*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.CachePath) != nil {
		os.Remove(tmp.Name())
	}
}
