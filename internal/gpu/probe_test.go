package gpu

import (
	"context"
	"errors"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// Decisions that need no engine answer must not ask it: the Detector here is nil.
func TestPolicyDecidesWithoutEngineWhenNoGPUIsAsked(t *testing.T) {
	plain := types.ServiceConfig{Name: "redis"}
	gpuSvc := types.ServiceConfig{Name: "training"}
	gpuSvc.Gpus = []types.DeviceRequest{{Count: -1}}
	tests := []struct {
		name    string
		mode    Kind
		svc     types.ServiceConfig
		target  bool
		granted string
	}{
		{"auto, service asks nothing", Auto, plain, true, "none"},
		{"all under up, service asks nothing", All, plain, false, "none"},
		{"none drops the service's GPUs", None, gpuSvc, true, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{Mode: Mode{Kind: tt.mode}}
			dec, err := p.Decide(context.Background(), tt.svc, tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Granted != tt.granted || len(dec.Requests) != 0 {
				t.Errorf("Decide = %+v; want granted %q and no requests", dec, tt.granted)
			}
			if got, ok := p.Decision(tt.svc.Name); !ok || got.Granted != dec.Granted {
				t.Errorf("Decision(%q) = %+v, %v", tt.svc.Name, got, ok)
			}
		})
	}
}

func TestPolicyRetryPassesOtherErrorsThrough(t *testing.T) {
	p := &Policy{Mode: Mode{Kind: Auto}}
	reqs, ok, err := p.Retry(context.Background(), types.ServiceConfig{Name: "x"}, errors.New("port is already allocated"))
	if reqs != nil || ok || err != nil {
		t.Errorf("Retry(non-GPU error) = %v, %v, %v; want nothing", reqs, ok, err)
	}
}
