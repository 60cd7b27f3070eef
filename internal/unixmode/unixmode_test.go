package unixmode

import (
	"io/fs"
	"testing"
)

func TestBitsRoundTrip(t *testing.T) {
	for _, m := range []fs.FileMode{0, 0o644, 0o755, 0o600 | fs.ModeSetuid, 0o755 | fs.ModeSetgid, 0o777 | fs.ModeSticky} {
		b := Bits(m)
		if got := FileMode(b); got != m {
			t.Errorf("FileMode(Bits(%v)) = %v (bits %o)", m, got, b)
		}
	}
	if got := Bits(0o755 | fs.ModeSetuid); got != 0o4755 {
		t.Errorf("Bits(setuid 0755) = %o, want 4755", got)
	}
}
