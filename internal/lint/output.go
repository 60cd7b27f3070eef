package lint

import (
	"fmt"
	"io"

	"github.com/mlstack/mlstack/internal/ui"
)

// WriteText prints one finding per line as "file:line: severity rule: message (hint: ...)",
// leaving out ":line" for findings about a whole file.
func WriteText(w io.Writer, fs []Finding) error {
	for _, f := range fs {
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		hint := ""
		if f.Hint != "" {
			hint = " (hint: " + f.Hint + ")"
		}
		if _, err := fmt.Fprintf(w, "%s: %s %s: %s%s\n", loc, f.Severity, f.Rule, f.Message, hint); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return nil
}

// WriteJSON prints the findings as an indented JSON array, [] when there are none.
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	return ui.WriteJSON(w, fs)
}
