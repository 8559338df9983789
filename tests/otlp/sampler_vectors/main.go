// Command sampler_vectors prints sampling decisions for tests/unit/test_sampler.c.
//
// Run with Debian's golang-go and golang-opentelemetry-otel-dev (GOPATH mode, offline):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go > ../sampler_vectors.txt
//
// Decisions for trace ids whose two 8-byte halves are equal come from the real OpenTelemetry Go
// SDK's samplers (Debian ships SDK 1.1.0, which reads TraceID[0:8]; current releases, which OBI
// uses, read TraceID[8:16]: on such ids both agree). Ids with different halves are decided by
// the current release's rule, computed here and cross-checked against the SDK on the equal-half
// ids, so the file pins both the arithmetic and the half that current releases read.
package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

var ratios = []float64{0, 1e-9, 0.001, 0.01, 0.1, 0.25, 1.0 / 3, 0.5, 0.7, 0.9999999, 1}

type parentCase struct {
	name    string
	valid   bool
	remote  bool
	sampled bool
}

var parents = []parentCase{
	{"none", false, false, false},
	{"remote", true, true, true}, {"remote", true, true, false},
	{"local", true, false, true}, {"local", true, false, false},
}

func samplers(r float64) map[string]sdktrace.Sampler {
	return map[string]sdktrace.Sampler{
		"always_on":                sdktrace.AlwaysSample(),
		"always_off":               sdktrace.NeverSample(),
		"traceidratio":             sdktrace.TraceIDRatioBased(r),
		"parentbased_always_on":    sdktrace.ParentBased(sdktrace.AlwaysSample()),
		"parentbased_always_off":   sdktrace.ParentBased(sdktrace.NeverSample()),
		"parentbased_traceidratio": sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)),
	}
}

var order = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on",
	"parentbased_always_off", "parentbased_traceidratio"}

// The rule of current OpenTelemetry Go releases (TraceIDRatioBased.ShouldSample).
func currentRatio(r float64, id trace.TraceID) bool {
	if r >= 1 {
		return true
	}
	if r <= 0 {
		r = 0
	}
	bound := uint64(r * (1 << 63))
	return binary.BigEndian.Uint64(id[8:16])>>1 < bound
}

func currentDecision(name string, r float64, p parentCase, id trace.TraceID) bool {
	if p.valid && strings.HasPrefix(name, "parentbased") {
		return p.sampled
	}
	switch name {
	case "always_on", "parentbased_always_on":
		return true
	case "always_off", "parentbased_always_off":
		return false
	}
	return currentRatio(r, id)
}

func sdkDecision(s sdktrace.Sampler, p parentCase, id trace.TraceID) bool {
	ctx := context.Background()
	if p.valid {
		flags := trace.TraceFlags(0)
		if p.sampled {
			flags = trace.FlagsSampled
		}
		psc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: id,
			SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: flags, Remote: p.remote})
		ctx = trace.ContextWithSpanContext(ctx, psc)
	}
	res := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: ctx, TraceID: id})
	return res.Decision == sdktrace.RecordAndSample
}

// Ids right at, below and above the bound of ratio r, plus seeded random ones.
func ids(r float64, rng *rand.Rand) []trace.TraceID {
	var out []trace.TraceID
	bound := uint64(r * (1 << 63))
	for _, x := range []uint64{bound - 1, bound, bound + 1} {
		for _, low := range []uint64{0, 1} {
			var id trace.TraceID
			v := (x << 1) | low
			binary.BigEndian.PutUint64(id[0:8], v)
			binary.BigEndian.PutUint64(id[8:16], v)
			if id.IsValid() { // an all-zero id is no trace id (parents with it are invalid)
				out = append(out, id)
			}
		}
	}
	// Halves on opposite sides of every bound: only the half that is read decides.
	out = append(out, trace.TraceID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 1},
		trace.TraceID{0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe})
	for i := 0; i < 6; i++ {
		var id trace.TraceID
		rng.Read(id[:])
		if i%2 == 0 {
			copy(id[0:8], id[8:16])
		}
		out = append(out, id)
	}
	return out
}

func main() {
	rng := rand.New(rand.NewSource(9))
	fmt.Println("# sampler ratio parent parent_sampled trace_id sampled (from tests/otlp/sampler_vectors)")
	for _, r := range ratios {
		ss := samplers(r)
		for _, id := range ids(r, rng) {
			symmetric := string(id[0:8]) == string(id[8:16])
			for _, name := range order {
				for _, p := range parents {
					want := currentDecision(name, r, p, id)
					if symmetric && sdkDecision(ss[name], p, id) != want {
						fmt.Fprintf(os.Stderr, "SDK disagrees: %s %g %v %x\n", name, r, p, id)
						os.Exit(1)
					}
					ps := 0
					if p.sampled {
						ps = 1
					}
					d := 0
					if want {
						d = 1
					}
					fmt.Printf("%s %.17g %s %d %s %d\n", name, r, p.name, ps,
						hex.EncodeToString(id[:]), d)
				}
			}
		}
	}
}
