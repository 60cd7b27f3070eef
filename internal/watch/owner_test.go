package watch

import (
	"testing"

	"github.com/mlstack/mlstack/internal/syncd"
)

func TestParseUser(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1001:1002::/home/app:/bin/sh\n")
	group := []byte("root:x:0:\nstaff:x:50:app\n")
	for _, tc := range []struct {
		spec          string
		passwd, group []byte
		want          syncd.Owner
		wantErr       bool
	}{
		{spec: "1000:1000", want: syncd.Owner{UID: 1000, GID: 1000}},
		{spec: "1000", want: syncd.Owner{UID: 1000, GID: 0}},
		{spec: "1001", passwd: passwd, want: syncd.Owner{UID: 1001, GID: 1002}},
		{spec: "app", passwd: passwd, want: syncd.Owner{UID: 1001, GID: 1002}},
		{spec: "app:staff", passwd: passwd, group: group, want: syncd.Owner{UID: 1001, GID: 50}},
		{spec: "app:7", passwd: passwd, want: syncd.Owner{UID: 1001, GID: 7}},
		{spec: "1000:staff", group: group, want: syncd.Owner{UID: 1000, GID: 50}},
		{spec: "ghost", passwd: passwd, wantErr: true},
		{spec: "app", wantErr: true},
		{spec: "app:nogroup", passwd: passwd, group: group, wantErr: true},
	} {
		got, err := ParseUser(tc.spec, tc.passwd, tc.group)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseUser(%q) error = %v, want error %v", tc.spec, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && got != tc.want {
			t.Errorf("ParseUser(%q) = %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}
