package watch

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mlstack/mlstack/internal/engine"
	"github.com/mlstack/mlstack/internal/syncd"
)

// ParseUser turns a compose/Docker user spec ("1000", "1000:1000", "app", "app:staff") into a
// numeric owner, reading names from the container's passwd and group files (nil when the image
// has none). As Docker does, a user without a group gets its passwd primary group, else group 0.
func ParseUser(spec string, passwd, group []byte) (syncd.Owner, error) {
	user, grp, hasGroup := strings.Cut(spec, ":")
	o := syncd.Owner{}
	if uid, err := strconv.Atoi(user); err == nil {
		o.UID = uid
		if _, gid, ok := lookupPasswd(passwd, func(name string, id int) bool { return id == uid }); ok {
			o.GID = gid
		}
	} else {
		uid, gid, ok := lookupPasswd(passwd, func(name string, id int) bool { return name == user })
		if !ok {
			return o, fmt.Errorf("user %q is not in the container's /etc/passwd", user)
		}
		o.UID, o.GID = uid, gid
	}
	if !hasGroup {
		return o, nil
	}
	if gid, err := strconv.Atoi(grp); err == nil {
		o.GID = gid
		return o, nil
	}
	gid, ok := lookupGroup(group, grp)
	if !ok {
		return o, fmt.Errorf("group %q is not in the container's /etc/group", grp)
	}
	o.GID = gid
	return o, nil
}

// lookupPasswd finds the first passwd line (name:x:uid:gid:...) that match accepts.
func lookupPasswd(passwd []byte, match func(name string, uid int) bool) (uid, gid int, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(string(passwd)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		u, err1 := strconv.Atoi(f[2])
		g, err2 := strconv.Atoi(f[3])
		if err1 == nil && err2 == nil && match(f[0], u) {
			return u, g, true
		}
	}
	return 0, 0, false
}

func lookupGroup(group []byte, name string) (int, bool) {
	sc := bufio.NewScanner(strings.NewReader(string(group)))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] != name {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil {
			return g, true
		}
	}
	return 0, false
}

// readContainerFile reads a small file from a container through the archive API; a missing file
// reads as nil, which is normal in FROM scratch images.
func readContainerFile(ctx context.Context, eng *engine.Client, id, p string) ([]byte, error) {
	rc, _, err := eng.CopyFromContainer(ctx, id, p)
	if engine.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s in container: %w", p, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		return nil, fmt.Errorf("read %s in container: %w", p, err)
	}
	return io.ReadAll(io.LimitReader(tr, 4<<20))
}

// containerUser resolves the user a container runs as (its config's user, from the service or
// the image) to a numeric owner; ok is false when it runs as the image default, root.
func containerUser(ctx context.Context, eng *engine.Client, id, spec string) (o syncd.Owner, ok bool, err error) {
	if spec == "" {
		return o, false, nil
	}
	var passwd, group []byte
	if !numericPair(spec) {
		if passwd, err = readContainerFile(ctx, eng, id, "/etc/passwd"); err != nil {
			return o, false, err
		}
		if group, err = readContainerFile(ctx, eng, id, "/etc/group"); err != nil {
			return o, false, err
		}
	}
	o, err = ParseUser(spec, passwd, group)
	if err != nil {
		return o, false, err
	}
	return o, true, nil
}

// numericPair reports whether spec is "uid:gid" in numbers, which needs no lookup.
func numericPair(spec string) bool {
	u, g, ok := strings.Cut(spec, ":")
	_, err1 := strconv.Atoi(u)
	_, err2 := strconv.Atoi(g)
	return ok && err1 == nil && err2 == nil
}
