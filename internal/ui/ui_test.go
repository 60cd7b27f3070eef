package ui

import (
	"bytes"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestPrefixedWriterEmitsAtNewlineAndCarriageReturn(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string // output after each write
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"svc | a\nsvc | b\n"}},
		{"partial line waits for its end", []string{"hel", "lo\n"}, []string{"", "svc | hello\n"}},
		{"progress redraws show as they come", []string{"\rstep 1", "\rstep 2", "\rdone\n"},
			[]string{"\rsvc | ", "\rsvc | step 1", "\rsvc | step 2\rsvc | done\n"}},
		{"crlf is one line end", []string{"x\r\n"}, []string{"svc | x\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s := Test(nil, &out, &out)
			w := s.NewPrefixer([]string{"svc"}, false).Writer("svc")
			for i, wr := range tt.writes {
				out.Reset()
				w.Write([]byte(wr))
				if got := out.String(); got != tt.want[i] {
					t.Errorf("after write %d (%q): got %q, want %q", i, wr, got, tt.want[i])
				}
			}
		})
	}
}

func TestPrefixesAlignAndCanBeOmitted(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &out)
	p := s.NewPrefixer([]string{"a", "longer"}, false)
	p.Writer("a").Write([]byte("x\n"))
	if got := out.String(); got != "a      | x\n" {
		t.Errorf("got %q", got)
	}
	out.Reset()
	s.NewPrefixer([]string{"a"}, true).Writer("a").Write([]byte("x\n"))
	if got := out.String(); got != "x\n" {
		t.Errorf("no-prefix got %q", got)
	}
}

func TestFlushPrintsUnterminatedLine(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &out)
	w := s.NewPrefixer(nil, false).Writer("j")
	w.Write([]byte("last words"))
	Flush(w)
	if got := out.String(); got != "j | last words\n" {
		t.Errorf("got %q", got)
	}
}

func TestNoColourWithoutTTY(t *testing.T) {
	var out bytes.Buffer
	s := Test(nil, &out, &out)
	s.Warn("careful")
	s.Status("Container x", "Started")
	if bytes.Contains(out.Bytes(), []byte("\x1b[")) {
		t.Errorf("escape codes without a TTY: %q", out.String())
	}
}

func TestLibraryWarningsAreMlstackWarnings(t *testing.T) {
	var out, errb bytes.Buffer
	s := Test(nil, &out, &errb)
	s.RouteLibraryLogs()
	logrus.Warnf("The %q variable is not set. Defaulting to a blank string.", "NOPE")
	if got := errb.String(); got != "warning: The \"NOPE\" variable is not set. Defaulting to a blank string.\n" {
		t.Fatalf("got %q", got)
	}
}
