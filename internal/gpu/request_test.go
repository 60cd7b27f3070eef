package gpu

import (
	"context"
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
)

// loadService loads one service "training" from compose YAML the way mlstack's loader does.
func loadService(t *testing.T, yaml string) types.ServiceConfig {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: []byte(yaml)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("p", true) })
	if err != nil {
		t.Fatalf("load compose: %v", err)
	}
	svc, err := p.GetService("training")
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestFromServiceMatchesCompose(t *testing.T) {
	gpu := [][]string{{"gpu"}}
	tests := []struct {
		name string
		yaml string
		want []container.DeviceRequest
	}{
		{
			name: "no gpu",
			yaml: "services:\n  training:\n    image: x\n",
			want: nil,
		},
		{
			name: "gpus: all",
			yaml: "services:\n  training:\n    image: x\n    gpus: all\n",
			want: []container.DeviceRequest{{Count: -1, Capabilities: gpu}},
		},
		{
			name: "gpus list with count and driver",
			yaml: "services:\n  training:\n    image: x\n    gpus:\n      - driver: nvidia\n        count: 2\n        capabilities: [compute, utility]\n",
			want: []container.DeviceRequest{{Driver: "nvidia", Count: 2, Capabilities: [][]string{{"compute", "utility", "gpu"}}}},
		},
		{
			name: "gpus list with device ids",
			yaml: "services:\n  training:\n    image: x\n    gpus:\n      - device_ids: [\"0\", \"2\"]\n",
			want: []container.DeviceRequest{{DeviceIDs: []string{"0", "2"}, Capabilities: gpu}},
		},
		{
			name: "reservation count all",
			yaml: `services:
  training:
    image: x
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
              options: {virtualization: "false"}
`,
			want: []container.DeviceRequest{{Driver: "nvidia", Count: -1, Capabilities: gpu, Options: map[string]string{"virtualization": "false"}}},
		},
		{
			name: "reservation without count means all",
			yaml: `services:
  training:
    image: x
    deploy:
      resources:
        reservations:
          devices:
            - capabilities: [gpu]
`,
			want: []container.DeviceRequest{{Count: -1, Capabilities: gpu}},
		},
		{
			name: "reservation with uuid",
			yaml: `services:
  training:
    image: x
    deploy:
      resources:
        reservations:
          devices:
            - capabilities: [gpu]
              device_ids: ["GPU-3a23c669-1f69-c64e-cf85-44e9b07e7a2a"]
`,
			want: []container.DeviceRequest{{DeviceIDs: []string{"GPU-3a23c669-1f69-c64e-cf85-44e9b07e7a2a"}, Capabilities: gpu}},
		},
		{
			name: "cdi names in devices and device_ids",
			yaml: `services:
  training:
    image: x
    devices:
      - nvidia.com/gpu=0
      - /dev/fuse:/dev/fuse
    deploy:
      resources:
        reservations:
          devices:
            - capabilities: [gpu]
              device_ids: ["nvidia.com/gpu=all"]
`,
			want: []container.DeviceRequest{
				{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=all"}, Capabilities: gpu},
				{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=0"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromService(loadService(t, tt.yaml))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromService\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestSplitDevicesKeepsHostMappings(t *testing.T) {
	names, maps := SplitDevices([]types.DeviceMapping{
		{Source: "nvidia.com/gpu=1", Target: "nvidia.com/gpu=1"},
		{Source: "/dev/fuse", Target: "/dev/fuse", Permissions: "rwm"},
	})
	if !reflect.DeepEqual(names, []string{"nvidia.com/gpu=1"}) {
		t.Errorf("cdi names = %v", names)
	}
	want := []container.DeviceMapping{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}}
	if !reflect.DeepEqual(maps, want) {
		t.Errorf("mappings = %v", maps)
	}
}

// The wanted values are what `docker run --gpus VALUE` sends (docker/cli opts/gpus.go).
func TestParseRequestLikeDockerRun(t *testing.T) {
	gpu := [][]string{{"gpu"}}
	none := map[string]string{}
	tests := []struct {
		value   string
		want    container.DeviceRequest
		wantErr bool
	}{
		{value: "all", want: container.DeviceRequest{Count: -1, Capabilities: gpu, Options: none}},
		{value: "2", want: container.DeviceRequest{Count: 2, Capabilities: gpu, Options: none}},
		{value: `"device=0,2"`, want: container.DeviceRequest{DeviceIDs: []string{"0", "2"}, Capabilities: gpu, Options: none}},
		{value: "device=GPU-3a23c669", want: container.DeviceRequest{DeviceIDs: []string{"GPU-3a23c669"}, Capabilities: gpu, Options: none}},
		// Unquoted, docker reads the 2 as a count: the engine then refuses count plus IDs.
		{value: "device=0,2", want: container.DeviceRequest{Count: 2, DeviceIDs: []string{"0"}, Capabilities: gpu, Options: none}},
		{
			value: `driver=nvidia,count=2,"capabilities=compute,utility"`,
			want:  container.DeviceRequest{Driver: "nvidia", Count: 2, Capabilities: [][]string{{"compute", "utility", "gpu"}}, Options: none},
		},
		{value: "driver=nvidia", want: container.DeviceRequest{Driver: "nvidia", Count: 1, Capabilities: gpu, Options: none}},
		{value: `"options=a=1,b=2"`, want: container.DeviceRequest{Count: 1, Capabilities: gpu, Options: map[string]string{"a": "1", "b": "2"}}},
		{value: "driver=nvidia,capabilities=compute,utility", wantErr: true}, // docker needs quotes here too
		{value: "count=2,count=3", wantErr: true},
		{value: "many", wantErr: true},
		{value: "colour=red", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := ParseRequest(tt.value)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseRequest(%q) = %+v, want an error", tt.value, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRequest(%q): %v", tt.value, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseRequest(%q)\n got %#v\nwant %#v", tt.value, got, tt.want)
			}
		})
	}
}

func TestIsCDIName(t *testing.T) {
	tests := map[string]bool{
		"nvidia.com/gpu=0":         true,
		"nvidia.com/gpu=all":       true,
		"vendor.com/class=name":    true,
		"amd.com/gpu=GPU-ab:12":    true,
		"/dev/nvidia0":             false,
		"nvidia.com/gpu":           false,
		"gpu=0":                    false,
		"nvidia.com/=0":            false,
		"nvidia.com/gpu=":          false,
		"nvidia.com/g.pu=0":        false,
		"0":                        false,
		"GPU-3a23c669-1f69-c64e":   false,
		"1nvidia.com/gpu=0":        false,
		"nvidia.com/gpu=-trailing": false,
	}
	for name, want := range tests {
		if got := IsCDIName(name); got != want {
			t.Errorf("IsCDIName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCheckCDISupported(t *testing.T) {
	tests := []struct {
		api    string
		wantOK bool
	}{
		{"1.41", false},
		{"1.43", false},
		{"1.44", true},
		{"1.51", true},
		{"", false},
	}
	for _, tt := range tests {
		err := CheckCDISupported(tt.api)
		if (err == nil) != tt.wantOK {
			t.Errorf("CheckCDISupported(%q) = %v, want ok=%v", tt.api, err, tt.wantOK)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		reqs []container.DeviceRequest
		want string
	}{
		{nil, "none"},
		{[]container.DeviceRequest{{Count: -1, Capabilities: [][]string{{"gpu"}}}}, "all"},
		{[]container.DeviceRequest{{Count: 2, Capabilities: [][]string{{"gpu"}}}}, "2"},
		{[]container.DeviceRequest{{DeviceIDs: []string{"0", "2"}}}, "device=0,2"},
		{[]container.DeviceRequest{{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=0"}}}, "nvidia.com/gpu=0"},
		{[]container.DeviceRequest{{Driver: "amd", Count: 1, Capabilities: [][]string{{"compute", "gpu"}}}}, "1 driver=amd capabilities=compute"},
		{[]container.DeviceRequest{{Count: 1}, {Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=1"}}}, "1; nvidia.com/gpu=1"},
	}
	for _, tt := range tests {
		if got := Describe(tt.reqs); got != tt.want {
			t.Errorf("Describe(%+v) = %q, want %q", tt.reqs, got, tt.want)
		}
	}
}
