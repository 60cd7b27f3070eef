package lint

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestWriteText(t *testing.T) {
	fs := []Finding{
		{Rule: RuleBaseLatest, Severity: SeverityError, File: "svc/Dockerfile", Line: 3, Message: `base image "python" has no tag`, Hint: "pin it"},
		{Rule: RuleDockerignoreMissing, Severity: SeverityWarning, File: "svc/.dockerignore", Message: "no .dockerignore"},
	}
	var b bytes.Buffer
	if err := WriteText(&b, fs); err != nil {
		t.Fatal(err)
	}
	want := "svc/Dockerfile:3: error base-latest: base image \"python\" has no tag (hint: pin it)\n" +
		"svc/.dockerignore: warning dockerignore-missing: no .dockerignore\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   []Finding
		want string
	}{
		{"nil is an empty array", nil, "[]"},
		{"empty is an empty array", []Finding{}, "[]"},
		{"fields use the documented names", []Finding{{Rule: RuleUserRoot, Severity: SeverityWarning, File: "Dockerfile", Line: 1, Message: "m", Hint: "h"}},
			`[{"rule":"user-root","severity":"warning","file":"Dockerfile","line":1,"message":"m","hint":"h"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, tc.fs); err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, b.Bytes()); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b.String())
			}
			if compact.String() != tc.want {
				t.Errorf("got %s, want %s", compact.String(), tc.want)
			}
		})
	}
}

func TestRulesTable(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule id %q is not kebab-case", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule id %q listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity != SeverityError && r.Severity != SeverityWarning {
			t.Errorf("rule %s has severity %q", r.ID, r.Severity)
		}
		if r.Description == "" || strings.Contains(r.Description, "\n") {
			t.Errorf("rule %s needs a one-line description", r.ID)
		}
	}
	errorsWanted := []string{RuleBaseLatest, RulePipUnpinned, RuleRequirementsUnpinned, RuleSecretInEnv}
	for _, r := range Rules() {
		isErr := false
		for _, id := range errorsWanted {
			isErr = isErr || id == r.ID
		}
		if isErr != (r.Severity == SeverityError) {
			t.Errorf("rule %s has severity %s", r.ID, r.Severity)
		}
	}
}

func TestHasErrors(t *testing.T) {
	if HasErrors(nil) {
		t.Error("HasErrors(nil) = true")
	}
	if HasErrors([]Finding{{Severity: SeverityWarning}}) {
		t.Error("warnings only: HasErrors = true")
	}
	if !HasErrors([]Finding{{Severity: SeverityWarning}, {Severity: SeverityError}}) {
		t.Error("with an error: HasErrors = false")
	}
}
