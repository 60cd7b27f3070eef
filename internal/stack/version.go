package stack

import (
	"context"
	"fmt"
)

// EngineVersion is what `mlstack version` shows of the engine.
type EngineVersion struct {
	// Version and APIVersion are the engine's own; Negotiated is the API version mlstack speaks with it.
	Version, APIVersion, Negotiated string
	// Addr is the engine's address, as dialled.
	Addr string
}

// ReadEngineVersion asks the engine for its version.
func ReadEngineVersion(ctx context.Context, eng Engine) (EngineVersion, error) {
	v, err := eng.ServerVersion(ctx)
	if err != nil {
		return EngineVersion{}, fmt.Errorf("engine at %s: version: %w", eng.Addr(), err)
	}
	return EngineVersion{Version: v.Version, APIVersion: v.APIVersion, Negotiated: eng.ClientVersion(), Addr: eng.Addr()}, nil
}
