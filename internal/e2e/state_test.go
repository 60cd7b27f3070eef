package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/testenv"
)

// Forty `mlstack profile enable` processes at once: none is lost, the file is never partial.
func TestConcurrentProfileEnable(t *testing.T) {
	var compose strings.Builder
	compose.WriteString("services:\n  web: {image: ${FIXTURE}, command: [serve]}\n")
	for i := range 40 {
		fmt.Fprintf(&compose, "  s%02d: {image: ${FIXTURE}, profiles: [p%02d]}\n", i, i)
	}
	p := testenv.NewProject(t, compose.String())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan string, 80)
	for i := range 40 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			cmd := p.Command(ctx, nil, "profile", "enable", fmt.Sprintf("p%02d", i))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Sprintf("profile enable p%02d: %v\n%s", i, err, out)
			}
		}()
		go func() {
			defer wg.Done()
			// A reader at the same time sees a whole file, old or new.
			var out bytes.Buffer
			cmd := p.Command(ctx, nil, "profile", "list", "--format", "json")
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs <- fmt.Sprintf("profile list during enables: %v\n%s", err, out.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	b, err := os.ReadFile(filepath.Join(p.Dir, ".mlstack", "profiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Enabled []string }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("profiles.json is not valid JSON after concurrent enables: %v\n%s", err, b)
	}
	if len(f.Enabled) != 40 {
		t.Errorf("%d of 40 profiles enabled after 40 concurrent enables: %v", len(f.Enabled), f.Enabled)
	}
}
