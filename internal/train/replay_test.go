package train

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/stack"
	"github.com/mlstack/mlstack/internal/ui"
)

func TestReplayNeverPassesAMask(t *testing.T) {
	env, masked := runs.MaskEnv([]string{"PGPASSWORD=pw", "DATABASE_URL=postgres://ml:pw@db/ml", "EPOCHS=3"})
	cmd, hidden := runs.MaskArgs([]string{"python", "train.py", "--hf-token", "hf_secret"})
	rec := &runs.Record{ID: "r1", ImageID: "sha256:abc", Env: env, Masked: masked, Command: []string{"python", "train.py"}}
	withArgs := *rec
	withArgs.Command, withArgs.MaskedArgs = cmd, hidden
	var svcWith types.ServiceConfig
	svcWith.Environment = types.MappingWithEquals{"PGPASSWORD": ptr("fromcompose")}

	tests := []struct {
		name    string
		rec     *runs.Record
		svc     types.ServiceConfig
		osEnv   map[string]string
		job     stack.OneOffOptions
		wantErr string
		wantEnv string // the job's environment, joined
	}{
		{"from the current environment", rec, types.ServiceConfig{},
			map[string]string{"PGPASSWORD": "now", "DATABASE_URL": "postgres://ml:now@db/ml"}, stack.OneOffOptions{}, "",
			"DATABASE_URL=postgres://ml:now@db/ml,EPOCHS=3,PGPASSWORD=now"},
		{"missing: refused, naming each", rec, types.ServiceConfig{}, nil, stack.OneOffOptions{},
			"DATABASE_URL, PGPASSWORD masked in the run's record and not set now", ""},
		{"from the service and -e", rec, svcWith, nil, stack.OneOffOptions{Env: []string{"DATABASE_URL=postgres://x:y@db/ml"}}, "",
			"EPOCHS=3,DATABASE_URL=postgres://x:y@db/ml"},
		{"a masked argument needs the command", &withArgs, types.ServiceConfig{},
			map[string]string{"PGPASSWORD": "a", "DATABASE_URL": "b"}, stack.OneOffOptions{}, "--hf-token", ""},
		{"given anew it replays", &withArgs, types.ServiceConfig{},
			map[string]string{"PGPASSWORD": "a", "DATABASE_URL": "b"}, stack.OneOffOptions{Command: []string{"python", "train.py"}}, "",
			"DATABASE_URL=b,EPOCHS=3,PGPASSWORD=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"PGPASSWORD", "DATABASE_URL"} {
				t.Setenv(k, "")
				if v, ok := tt.osEnv[k]; ok {
					t.Setenv(k, v)
				} else {
					unsetenv(t, k)
				}
			}
			job := tt.job
			err := applyReplay(ui.Test(nil, io.Discard, io.Discard), &job, tt.rec, tt.svc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("applyReplay error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(job.Env, ","); got != tt.wantEnv {
				t.Errorf("job env = %s, want %s", got, tt.wantEnv)
			}
			for _, a := range append(job.Env, job.Command...) {
				if strings.Contains(a, runs.Mask) {
					t.Errorf("the job would get a masked value: %q", a)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

// unsetenv removes k for the test; t.Setenv has registered its restoration.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}
