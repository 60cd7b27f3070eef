package project

import (
	"bytes"
	"fmt"
)

// Render prints the project as `docker compose config` (v5) does, so the output loads again into
// the same project: only the given services (all when none) and what they use, env_file entries
// folded into environment (their values are already there), and every `$` escaped as `$$`.
func (p *Project) Render(format string, services []string) ([]byte, error) {
	pp := p.Project
	if len(services) > 0 {
		var err error
		if pp, err = pp.WithSelectedServices(services); err != nil {
			return nil, fmt.Errorf("render project: %w", err)
		}
	}
	pp = pp.WithoutUnnecessaryResources()
	for name, s := range pp.Services {
		s.EnvFiles = nil
		pp.Services[name] = s
	}
	var b []byte
	var err error
	switch format {
	case "yaml", "":
		b, err = pp.MarshalYAML()
	case "json":
		b, err = pp.MarshalJSON()
	default:
		return nil, fmt.Errorf("unknown format %q: use yaml or json", format)
	}
	if err != nil {
		return nil, fmt.Errorf("render project: %w", err)
	}
	// Values are interpolated already; escaping keeps a literal $ literal when the output is loaded again.
	return bytes.ReplaceAll(b, []byte("$"), []byte("$$")), nil
}
