package e2e

import (
	"os"
	"testing"

	"github.com/mlstack/mlstack/internal/testenv"
)

// TestMain gives the mlstack binaries these tests run a runtime directory of their own, removed afterwards, so the project
// locks they take do not pile up in the user's.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
