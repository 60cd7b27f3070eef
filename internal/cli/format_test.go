package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/ui"
)

// Every command's --format is checked in one place, before the command runs, with one message.
func TestFormatCheckedBeforeTheCommandRuns(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ps", "--format", "xml"}, `--format "xml": want table or json`},
		{[]string{"ls", "--format", "yaml"}, `--format "yaml": want table or json`},
		{[]string{"images", "--format", "csv"}, `--format "csv": want table or json`},
		{[]string{"runs", "--format", "text"}, `--format "text": want table or json`},
		{[]string{"runs", "show", "latest", "--format", "table"}, `--format "table": want text or json`},
		{[]string{"profile", "list", "--format", "x"}, `--format "x": want table or json`},
		{[]string{"lint", "--format", "table"}, `--format "table": want text or json`},
		{[]string{"doctor", "--format", "yaml"}, `--format "yaml": want text or json`},
		{[]string{"config", "--format", "toml"}, `--format "toml": want yaml or json`},
	} {
		var out, errb bytes.Buffer
		env := &app.Env{UI: ui.Test(strings.NewReader(""), &out, &errb)}
		root := NewRoot(env)
		root.SetArgs(tc.args)
		root.SetOut(&out)
		root.SetErr(&errb)
		err := root.Execute()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
		if out.Len() > 0 {
			t.Errorf("%v: the command ran and printed %q", tc.args, out.String())
		}
	}
}

func TestOrList(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "a,b": "a or b", "a,b,c": "a, b or c"} {
		if got := orList(strings.Split(in, ",")); got != want {
			t.Errorf("orList(%s) = %q, want %q", in, got, want)
		}
	}
}
