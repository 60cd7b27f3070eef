package syncd

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkApplyOneSmallFile measures the protocol and applier cost of one
// edited file, without the exec stream the engine adds on top.
func BenchmarkApplyOneSmallFile(b *testing.B) {
	s := newBenchSession(b)
	src := filepath.Join(s.host, "train.py")
	writeBench(b, src, "print('hello')\n")
	dst := filepath.Join(s.app, "train.py")
	for b.Loop() {
		if _, err := s.c.Apply(b.Context(), Batch{Ops: []Op{WriteOp(src, dst)}}); err != nil {
			b.Fatal(err)
		}
	}
}

func writeBench(b *testing.B, p, content string) {
	b.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}
