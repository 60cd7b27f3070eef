package gpu

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

func TestParseFlag(t *testing.T) {
	gpu := [][]string{{"gpu"}}
	none := map[string]string{}
	tests := []struct {
		in       string
		wantKind Kind
		wantReq  container.DeviceRequest
		wantStr  string
		wantErr  string
	}{
		{in: "", wantKind: Auto, wantStr: "auto"},
		{in: "auto", wantKind: Auto, wantStr: "auto"},
		{in: " AUTO ", wantKind: Auto, wantStr: "auto"},
		{in: "none", wantKind: None, wantStr: "none"},
		{in: "0", wantKind: None, wantStr: "none"},
		{in: "all", wantKind: All, wantReq: container.DeviceRequest{Count: -1, Capabilities: gpu, Options: none}, wantStr: "all"},
		{in: "2", wantKind: Count, wantReq: container.DeviceRequest{Count: 2, Capabilities: gpu, Options: none}, wantStr: "2"},
		{in: "device=0,2", wantKind: Devices, wantReq: container.DeviceRequest{DeviceIDs: []string{"0", "2"}, Capabilities: gpu, Options: none}, wantStr: "device=0,2"},
		{in: `"device=0,2"`, wantKind: Devices, wantReq: container.DeviceRequest{DeviceIDs: []string{"0", "2"}, Capabilities: gpu, Options: none}, wantStr: "device=0,2"},
		{in: `"device=GPU-3a23c669"`, wantKind: Devices, wantReq: container.DeviceRequest{DeviceIDs: []string{"GPU-3a23c669"}, Capabilities: gpu, Options: none}, wantStr: "device=GPU-3a23c669"},
		{in: "device=nvidia.com/gpu=0", wantKind: Devices, wantReq: container.DeviceRequest{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=0"}}, wantStr: "nvidia.com/gpu=0"},
		{in: "nvidia.com/gpu=all", wantKind: Devices, wantReq: container.DeviceRequest{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=all"}}, wantStr: "nvidia.com/gpu=all"},
		{
			in: `driver=nvidia,count=2,"capabilities=compute,utility"`, wantKind: Count,
			wantReq: container.DeviceRequest{Driver: "nvidia", Count: 2, Capabilities: [][]string{{"compute", "utility", "gpu"}}, Options: none},
			wantStr: "2 capabilities=compute,utility",
		},
		{in: "count=all", wantKind: All, wantReq: container.DeviceRequest{Count: -1, Capabilities: gpu, Options: none}, wantStr: "all"},
		{in: "-1", wantErr: "count must be positive"},
		{in: "many", wantErr: "want auto, all, none"},
		{in: "device=", wantErr: "empty device ID"},
		{in: "device=0,,1", wantErr: "empty device ID"},
		{in: "device=0,count=2", wantErr: "not both"},
		{in: "driver=nvidia,capabilities=compute,utility", wantErr: "invalid count"},
		{in: "colour=red", wantErr: "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFlag(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFlag(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlag(%q): %v", tt.in, err)
			}
			if got.Kind != tt.wantKind {
				t.Errorf("kind = %v, want %v", got.Kind, tt.wantKind)
			}
			if (tt.wantKind != Auto && tt.wantKind != None) && !reflect.DeepEqual(got.Request, tt.wantReq) {
				t.Errorf("request\n got %#v\nwant %#v", got.Request, tt.wantReq)
			}
			if got.String() != tt.wantStr {
				t.Errorf("String() = %q, want %q", got.String(), tt.wantStr)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	allGPUs := container.DeviceRequest{Count: -1, Capabilities: [][]string{{"gpu"}}}
	fpga := container.DeviceRequest{Driver: "xilinx", Count: 1, Capabilities: [][]string{{"fpga"}}}
	mode := func(s string) Mode {
		m, err := ParseFlag(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name          string
		mode          string
		service       []container.DeviceRequest
		hasGPU        bool
		wantRequests  []container.DeviceRequest
		wantRequested string
		wantGranted   string
		wantNotice    bool
		wantErr       bool
	}{
		{name: "auto, gpu service, engine with gpu", mode: "auto", service: []container.DeviceRequest{allGPUs}, hasGPU: true,
			wantRequests: []container.DeviceRequest{allGPUs}, wantRequested: "all", wantGranted: "all"},
		{name: "auto, gpu service, engine without gpu", mode: "auto", service: []container.DeviceRequest{allGPUs}, hasGPU: false,
			wantRequests: nil, wantRequested: "all", wantGranted: "none", wantNotice: true},
		{name: "auto, cpu service, engine with gpu", mode: "auto", hasGPU: true, wantRequested: "none", wantGranted: "none"},
		{name: "auto, cpu service, engine without gpu", mode: "auto", hasGPU: false, wantRequested: "none", wantGranted: "none"},
		{name: "auto keeps non-gpu devices", mode: "auto", service: []container.DeviceRequest{fpga, allGPUs}, hasGPU: false,
			wantRequests: []container.DeviceRequest{fpga}, wantRequested: "all", wantGranted: "none", wantNotice: true},
		{name: "none, engine with gpu", mode: "none", service: []container.DeviceRequest{allGPUs}, hasGPU: true,
			wantRequested: "none", wantGranted: "none"},
		{name: "none, engine without gpu", mode: "none", service: []container.DeviceRequest{allGPUs}, hasGPU: false,
			wantRequested: "none", wantGranted: "none"},
		{name: "all, engine with gpu, cpu service", mode: "all", hasGPU: true,
			wantRequests: []container.DeviceRequest{mode("all").Request}, wantRequested: "all", wantGranted: "all"},
		{name: "all, engine without gpu", mode: "all", hasGPU: false, wantErr: true},
		{name: "count replaces service request", mode: "1", service: []container.DeviceRequest{allGPUs}, hasGPU: true,
			wantRequests: []container.DeviceRequest{mode("1").Request}, wantRequested: "1", wantGranted: "1"},
		{name: "count, engine without gpu", mode: "1", hasGPU: false, wantErr: true},
		{name: "devices, engine with gpu", mode: "device=0,2", hasGPU: true,
			wantRequests: []container.DeviceRequest{mode("device=0,2").Request}, wantRequested: "device=0,2", wantGranted: "device=0,2"},
		{name: "devices, engine without gpu", mode: "device=0,2", hasGPU: false, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Resolve(mode(tt.mode), tt.service, tt.hasGPU)
			if tt.wantErr {
				if !errors.Is(err, ErrNoGPU) {
					t.Fatalf("Resolve error = %v, want ErrNoGPU", err)
				}
				for _, hint := range []string{"nvidia-container-toolkit", "restart dockerd", "--gpus auto", "--gpus " + tt.mode} {
					if !strings.Contains(err.Error(), hint) {
						t.Errorf("error %q does not mention %q", err, hint)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if !reflect.DeepEqual(d.Requests, tt.wantRequests) {
				t.Errorf("requests\n got %#v\nwant %#v", d.Requests, tt.wantRequests)
			}
			if d.Requested != tt.wantRequested || d.Granted != tt.wantGranted {
				t.Errorf("requested/granted = %q/%q, want %q/%q", d.Requested, d.Granted, tt.wantRequested, tt.wantGranted)
			}
			if (d.Notice != "") != tt.wantNotice {
				t.Errorf("notice = %q, want notice=%v", d.Notice, tt.wantNotice)
			}
		})
	}
}

func TestNoticeNamesTheService(t *testing.T) {
	d, err := Resolve(Mode{Kind: Auto}, []container.DeviceRequest{{Count: -1, Capabilities: [][]string{{"gpu"}}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `no GPU on this engine: running "training" on CPU (use --gpus all to require one)`
	if got := d.NoticeFor("training"); got != want {
		t.Errorf("NoticeFor = %q, want %q", got, want)
	}
	if got := (Decision{}).NoticeFor("training"); got != "" {
		t.Errorf("NoticeFor without notice = %q, want empty", got)
	}
}
