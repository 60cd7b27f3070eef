package runs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestLogWriterBounds(t *testing.T) {
	tests := []struct {
		name   string
		limit  int64
		writes []string
		want   string
	}{
		{name: "unbounded", limit: 0, writes: []string{"0123456789", "abcdef"}, want: "0123456789abcdef"},
		{name: "under limit", limit: 20, writes: []string{"0123456789", "abcdef"}, want: "0123456789abcdef"},
		{name: "exactly limit", limit: 10, writes: []string{"01234", "56789"}, want: "0123456789"},
		{name: "small writes past limit", limit: 10, writes: []string{"0123", "4567", "89ab", "cdef"},
			want: "01234" + cutMarker(6) + "bcdef"},
		{name: "one big write", limit: 10, writes: []string{"0123456789abcdefghij"},
			want: "01234" + cutMarker(10) + "fghij"},
		{name: "big write after some output", limit: 10, writes: []string{"01", "23456789abcdefghij"},
			want: "01234" + cutMarker(10) + "fghij"},
		{name: "many writes", limit: 8, writes: strings.Split("abcdefghijklmnopqrstuvwxyz", ""),
			want: "abcd" + cutMarker(18) + "wxyz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Store{Dir: t.TempDir()}
			w, err := s.LogWriter("run", tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, chunk := range tt.writes {
				if n, err := io.WriteString(w, chunk); err != nil || n != len(chunk) {
					t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(s.LogPath("run"))
			if string(got) != tt.want {
				t.Errorf("log = %q, want %q", got, tt.want)
			}
		})
	}
}

// The tail is on disk after the first write past the limit, before Close, so a crash keeps it.
func TestLogWriterTailOnDiskBeforeClose(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	w, err := s.LogWriter("run", 10)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	io.WriteString(w, "0123456789abc")
	got, _ := os.ReadFile(s.LogPath("run"))
	if want := "01234" + cutMarker(3) + "89abc"; string(got) != want {
		t.Errorf("log before Close = %q, want %q", got, want)
	}
}

func TestLogWriterLongRunStaysBounded(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	w, err := s.LogWriter("run", 4096)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		fmt.Fprintf(w, "step %d loss %.4f\n", i, 1/float64(i+1))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(s.LogPath("run"))
	if len(data) > 4096+64 {
		t.Errorf("log is %d bytes, want about 4096", len(data))
	}
	if !bytes.HasPrefix(data, []byte("step 0 loss 1.0000\n")) || !bytes.HasSuffix(data, []byte("step 9999 loss 0.0001\n")) {
		t.Errorf("log lost its first or last line:\n%s", data)
	}
	if !bytes.Contains(data, []byte(" bytes cut ...\n")) {
		t.Error("log has no cut marker")
	}
}

func TestTail(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	var long strings.Builder
	for i := range 50000 {
		fmt.Fprintf(&long, "line %d\n", i)
	}
	logs := map[string]string{
		"short":    "one\ntwo\nthree\n",
		"no-eol":   "one\ntwo\nthree",
		"crlf":     "one\r\ntwo\r\n",
		"empty":    "",
		"long-log": long.String(),
	}
	for id, text := range logs {
		if err := os.WriteFile(s.LogPath(id), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		id    string
		lines int
		want  []string
	}{
		{"short", 2, []string{"two", "three"}},
		{"short", 10, []string{"one", "two", "three"}},
		{"short", 0, []string{"one", "two", "three"}},
		{"no-eol", 1, []string{"three"}},
		{"crlf", 5, []string{"one", "two"}},
		{"empty", 5, nil},
		{"long-log", 3, []string{"line 49997", "line 49998", "line 49999"}},
	}
	for _, tt := range tests {
		got, err := s.Tail(tt.id, tt.lines)
		if err != nil {
			t.Fatalf("Tail(%s, %d): %v", tt.id, tt.lines, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tail(%s, %d) = %q, want %q", tt.id, tt.lines, got, tt.want)
		}
	}
	if _, err := s.Tail("missing", 5); err == nil {
		t.Error("Tail of a missing log succeeded")
	}
}
