package dashboard

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mlstack/mlstack/internal/ui"
)

type emitted struct {
	text string
	open bool
}

// The splitter reads what ui's line writer (the one `mlstack logs` uses) writes.
func TestLineSplitterReadsUIWriter(t *testing.T) {
	var got []emitted
	sp := &lineSplitter{emit: func(text string, open bool) { got = append(got, emitted{text, open}) }}
	w := ui.Test(nil, sp, io.Discard).NewPrefixer([]string{"x"}, true).Writer("x")
	for _, chunk := range []string{"start\n", "[#   ] 25%\r", "[##  ] 50%\r", "[####] 100%\r", "epoch 1 \x1b[32mdone\x1b[0m\n", "\nlast"} {
		w.Write([]byte(chunk))
	}
	ui.Flush(w)
	want := []emitted{
		{"start", false},
		{"[#   ] 25%", true}, {"[##  ] 50%", true}, {"[####] 100%", true},
		{"epoch 1 done", false},
		{"", false},
		{"last", false},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines\n got %+v\nwant %+v", got, want)
	}
}

func TestCleanBoundsAndEscapes(t *testing.T) {
	long := strings.Repeat("é", maxLineLen)
	if got := clean([]byte(long)); len(got) > maxLineLen+8 || !strings.HasSuffix(got, "…") {
		t.Errorf("a long line kept %d bytes", len(got))
	}
	if got := clean([]byte("\x1b[1;31mred\x1b[0m \xff")); got != "red \uFFFD" {
		t.Errorf("clean = %q", got)
	}
}

func TestLogHubKeepsBoundedLinesAndReplacesProgress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := Observe(ctx, newFakeEngine(), "p")
	followed := make(chan context.Context, 1)
	follow := func(ctx context.Context, service string, since time.Time, w io.Writer) error {
		lw := ui.Test(nil, w, io.Discard).NewPrefixer(nil, true).Writer(service)
		for i := range feedLines + 10 {
			fmt.Fprintf(lw, "line %d\n", i)
		}
		fmt.Fprint(lw, "10%\r")
		fmt.Fprint(lw, "90%\r")
		followed <- ctx
		<-ctx.Done()
		return nil
	}
	h := newLogHub(ctx, obs, follow)
	backlog, sub := h.Subscribe([]string{"train"})
	fctx := <-followed
	if len(backlog) != 0 {
		t.Errorf("backlog before any output: %d lines", len(backlog))
	}
	var last LogLine
	for range feedLines + 12 {
		last = <-sub.C
	}
	if last.Text != "90%" || !last.Open {
		t.Errorf("last line %+v, want the open progress line 90%%", last)
	}
	// A second page gets the kept lines: bounded, the progress line once, at its last redraw.
	backlog, sub2 := h.Subscribe([]string{"train"})
	if len(backlog) != feedLines || backlog[len(backlog)-1].Text != "90%" || backlog[len(backlog)-2].Text != fmt.Sprintf("line %d", feedLines+9) {
		t.Errorf("backlog of %d lines ending %+v", len(backlog), backlog[len(backlog)-2:])
	}
	h.Unsubscribe(sub)
	if fctx.Err() != nil {
		t.Error("following stopped while a page still watches")
	}
	h.Unsubscribe(sub2)
	if fctx.Err() == nil {
		t.Error("following goes on with nobody watching")
	}
}

// A page that stops reading is dropped instead of holding lines without bound.
func TestLogHubDropsSlowPage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := Observe(ctx, newFakeEngine(), "p")
	wrote := make(chan struct{})
	follow := func(ctx context.Context, service string, since time.Time, w io.Writer) error {
		for i := range subscriberQ + 5 {
			fmt.Fprintf(w, "line %d\n", i)
		}
		close(wrote)
		<-ctx.Done()
		return nil
	}
	h := newLogHub(ctx, obs, follow)
	_, sub := h.Subscribe([]string{"s"})
	<-wrote
	n := 0
	for range sub.C {
		n++
	}
	if n != subscriberQ {
		t.Errorf("slow page got %d lines before being dropped, want %d", n, subscriberQ)
	}
	h.Unsubscribe(sub)
}
