package flock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	path, counter := filepath.Join(dir, "sub", "lock"), filepath.Join(dir, "n")
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := Lock(context.Background(), path, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Unlock()
			b, _ := os.ReadFile(counter)
			n, _ := strconv.Atoi(string(b))
			if err := os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if b, _ := os.ReadFile(counter); string(b) != "30" {
		t.Errorf("counter = %s after 30 locked increments, want 30", b)
	}
}

func TestLockGivesUpWithTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	first, err := Lock(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Unlock()
	first.Note("pid 1 up")
	ctx, cancel := context.WithCancelCause(context.Background())
	var holder string
	_, err = Lock(ctx, path, func(h string) { holder = h; cancel(errors.New("interrupted")) })
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Lock on a held file, cancelled while waiting = %v, want the cause", err)
	}
	if holder != "pid 1 up" {
		t.Errorf("waiting was told %q, want the holder's note", holder)
	}
}
