package ui

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes v as one indented JSON document and a newline: mlstack's own --format json
// (runs, runs show, profile list, lint, doctor). Lists are arrays, [] when empty.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// WriteJSONArray writes vs as one compact JSON array and a newline, [] when empty: compose's shape
// for ls and images.
func WriteJSONArray[T any](w io.Writer, vs []T) error {
	if vs == nil {
		vs = []T{}
	}
	if err := json.NewEncoder(w).Encode(vs); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// WriteJSONLines writes each of vs as one compact JSON object a line: compose's shape for ps.
func WriteJSONLines[T any](w io.Writer, vs []T) error {
	enc := json.NewEncoder(w)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}
