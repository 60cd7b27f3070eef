package stack

import (
	"testing"

	"github.com/mlstack/mlstack/internal/enginefake"
)

func TestReadEngineVersionNamesTheEngine(t *testing.T) {
	eng := enginefake.New()
	v, err := ReadEngineVersion(testCtx(t), eng)
	if err != nil {
		t.Fatal(err)
	}
	want := EngineVersion{Version: "fake", APIVersion: eng.Version, Negotiated: eng.ClientVersion(), Addr: eng.Addr()}
	if v != want || v.Negotiated == "" {
		t.Errorf("got %+v, want %+v", v, want)
	}
}
