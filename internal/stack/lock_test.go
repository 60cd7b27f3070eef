package stack

import (
	"strings"
	"testing"
)

func TestLockNameIsPerEngineAndProject(t *testing.T) {
	a, b := lockName("ENGINE:A", "ml"), lockName("ENGINE:B", "ml")
	if a == b {
		t.Errorf("two engines share the lock %s", a)
	}
	if lockName("ENGINE:A", "ml") != a {
		t.Error("one engine and project name give two locks")
	}
	if n := lockName("ENGINE:A", "../../etc/x"); strings.Contains(n, "/") {
		t.Errorf("lockName with a path-like project = %q, want one file name", n)
	}
}
