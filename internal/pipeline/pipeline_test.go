package pipeline

import (
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, ""},
		{Options{Build: true, Pull: "always"}, ""},
		{Options{NoBuild: true, Pull: "never"}, ""},
		{Options{Pull: "missing"}, ""},
		{Options{Build: true, NoBuild: true}, "--build and --no-build cannot be combined"},
		{Options{Pull: "sometimes"}, `--pull "sometimes": want always, missing or never`},
	} {
		err := tc.o.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Validate(%+v) = %q, want %q", tc.o, got, tc.want)
		}
	}
}

func TestBuildServices(t *testing.T) {
	built := func(name string) types.ServiceConfig {
		s := types.ServiceConfig{Name: name}
		s.Build = &types.BuildConfig{}
		return s
	}
	services := types.Services{"b": built("b"), "a": built("a"), "img": {Name: "img"}}
	if got := BuildServices(services, nil); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("all: %v", got)
	}
	if got := BuildServices(services, []string{"b", "img"}); !slices.Equal(got, []string{"b"}) {
		t.Errorf("only b, img: %v", got)
	}
}
