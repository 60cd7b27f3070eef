package train

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func services(svcs ...types.ServiceConfig) types.Services {
	out := types.Services{}
	for _, s := range svcs {
		out[s.Name] = s
	}
	return out
}

func TestSelectService(t *testing.T) {
	web := types.ServiceConfig{Name: "web"}
	training := types.ServiceConfig{Name: "training"}
	fit := types.ServiceConfig{Name: "fit", Profiles: []string{"training"}}
	tune := types.ServiceConfig{Name: "tune", Profiles: []string{"gpu", "training"}}
	tests := []struct {
		name    string
		all     types.Services
		named   string
		want    string
		wantErr string
	}{
		{"named wins", services(web, training), "web", "web", ""},
		{"named unknown lists services", services(web, training), "nope", "", "the project's services are: training, web"},
		{"training by name", services(web, training, fit), "", "training", ""},
		{"only service in profile", services(web, fit), "", "fit", ""},
		{"several in profile", services(web, fit, tune), "", "", "several services (fit, tune)"},
		{"none lists candidates", services(web), "", "", "no training service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectService(tt.all, tt.named)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SelectService = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestTracking(t *testing.T) {
	mlflow := types.ServiceConfig{Name: "mlflow"}
	mlflowPorts := types.ServiceConfig{Name: "mlflow"}
	mlflowPorts.Ports = []types.ServicePortConfig{{Target: 8080, Published: "5001"}}
	exposed := types.ServiceConfig{Name: "mlflow"}
	exposed.Expose = types.StringOrNumberList{"5500/tcp"}
	labelled := types.ServiceConfig{Name: "tracker"}
	labelled.Labels = types.Labels{RoleLabel: RoleTracking}
	labelled.Expose = types.StringOrNumberList{"9000"}
	tests := []struct {
		name        string
		svcs        types.Services
		target      string
		wantService string
		wantURI     string
	}{
		{"mlflow default port", services(mlflow), "training", "mlflow", "http://mlflow:5000"},
		{"container port of first published port", services(mlflowPorts), "training", "mlflow", "http://mlflow:8080"},
		{"first exposed port", services(exposed), "training", "mlflow", "http://mlflow:5500"},
		{"label wins over name", services(mlflow, labelled), "training", "tracker", "http://tracker:9000"},
		{"none", services(types.ServiceConfig{Name: "web"}), "training", "", ""},
		{"not the target itself", services(mlflow), "mlflow", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, uri, ok := Tracking(tt.svcs, tt.target)
			if svc != tt.wantService || uri != tt.wantURI || ok != (tt.wantService != "") {
				t.Errorf("Tracking = %q, %q, %v; want %q, %q", svc, uri, ok, tt.wantService, tt.wantURI)
			}
		})
	}
}
