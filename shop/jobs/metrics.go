package jobs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/apaykit/apaykit/shop"
)

// Why the exposition is written by hand rather than with
// prometheus/client_golang: the shop exports a dozen counters and gauges
// that already live elsewhere (the runner's atomics, the limiter's stats,
// the jobs table), so a registry would only copy them; the text format
// (version 0.0.4) is a few lines per metric and stable; and the module
// stays free of client_golang's dependency tree (protobuf, procfs, …) for
// what amounts to fmt.Fprintf.

// Gauge is one extra sample for [MetricsHandler], e.g. the limiter's
// counters, supplied by whoever assembles the shop.
type Gauge struct {
	Name, Help string
	// Type is "counter" or "gauge".
	Type   string
	Labels map[string]string
	Value  float64
}

// MetricsHandler serves GET /metrics in the Prometheus text format: the
// runner's counters (nil for none), the number of jobs per kind and status
// in the outbox (at most the 1000 newest per status are counted), and the
// samples extra returns.
func MetricsHandler(store shop.JobQueue, r *Runner, extra func() []Gauge) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		defer cancel()
		var gs []Gauge
		if r != nil {
			m := r.Metrics()
			for _, c := range []struct {
				outcome string
				v       int64
			}{{"claimed", m.Claimed.Load()}, {"succeeded", m.Succeeded.Load()}, {"retried", m.Retried.Load()},
				{"dead", m.Dead.Load()}, {"waited", m.Waited.Load()}, {"lost_lease", m.LostLease.Load()}} {
				gs = append(gs, Gauge{Name: "apay_job_runs_total", Help: "Job runs by this process, by outcome.", Type: "counter",
					Labels: map[string]string{"outcome": c.outcome}, Value: float64(c.v)})
			}
		}
		counts, err := JobCounts(ctx, store)
		if err != nil {
			http.Error(w, "metrics unavailable", http.StatusServiceUnavailable)
			return
		}
		for _, c := range counts {
			gs = append(gs, Gauge{Name: "apay_jobs", Help: "Jobs in the outbox by kind and status.", Type: "gauge",
				Labels: map[string]string{"kind": c.Kind, "status": string(c.Status)}, Value: float64(c.N)})
		}
		if extra != nil {
			gs = append(gs, extra()...)
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = WritePrometheus(w, gs)
	})
}

// JobCount is how many jobs of a kind are in a status.
type JobCount struct {
	Kind   string
	Status shop.JobStatus
	N      int
}

// JobCounts counts the outbox by kind and status (at most the 1000 newest
// jobs per status), sorted. The admin page and `apay jobs` show it.
func JobCounts(ctx context.Context, store shop.JobQueue) ([]JobCount, error) {
	idx := map[[2]string]int{}
	for _, st := range []shop.JobStatus{shop.JobQueued, shop.JobRunning, shop.JobSucceeded, shop.JobDead} {
		js, err := store.Jobs(ctx, shop.JobFilter{Status: []shop.JobStatus{st}, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, j := range js {
			idx[[2]string{j.Kind, string(st)}]++
		}
	}
	out := make([]JobCount, 0, len(idx))
	for k, n := range idx {
		out = append(out, JobCount{Kind: k[0], Status: shop.JobStatus(k[1]), N: n})
	}
	slices.SortFunc(out, func(a, b JobCount) int {
		return strings.Compare(a.Kind+"\x00"+string(a.Status), b.Kind+"\x00"+string(b.Status))
	})
	return out, nil
}

// WritePrometheus writes samples in the text exposition format, one HELP
// and TYPE line per metric name (samples of a name must be adjacent).
func WritePrometheus(w io.Writer, gs []Gauge) error {
	seen := map[string]bool{}
	for _, g := range gs {
		if !seen[g.Name] {
			seen[g.Name] = true
			if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", g.Name, escapeHelp(g.Help), g.Name, g.Type); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "%s%s %v\n", g.Name, labels(g.Labels), g.Value); err != nil {
			return err
		}
	}
	return nil
}

func labels(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=\"%s\"", k, escapeLabel(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
