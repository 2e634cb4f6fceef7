// Command nodecompare measures signed Amazon Pay API calls per second made
// by apaykit's Go SDK and, as the reference, by the official Node SDK, at
// the same concurrency against the same local HTTPS server, and reports the
// ratio. Run it from the repository root after `npm ci` in interop/:
//
//	go run ./bench/nodecompare
//
// The server listens on 127.0.0.1 only and answers every Get Charge with a
// fixed JSON charge; it fully verifies the first requests of each phase
// (so both clients are known to send correctly signed requests) and checks
// the rest for an Authorization header. The clients alternate, Go then
// Node, for -rounds rounds; each makes -warmup calls, then -calls measured
// calls. Figures go to docs/benchmarks.md.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/amazonpay/signing"
)

// config is one benchmark run.
type config struct {
	Calls       int // measured calls per client per round
	Warmup      int // calls before measuring, per client per round
	Concurrency int
	Rounds      int
	Algorithm   signing.Algorithm
	Node        string // the node binary
	Script      string // node_sdk.js
	NodeModules string // where @amazonpay/amazon-pay-api-sdk-nodejs is installed
}

// phase is one client's run against the server.
type phase struct {
	Round       int
	Client      string
	Calls       int
	Errors      int
	Seconds     float64
	Connections int64 // TLS connections the server accepted, warm-up included
	Requests    int64 // requests the server answered, warm-up included
}

// PerSecond is the measured calls per second.
func (p phase) PerSecond() float64 { return float64(p.Calls) / p.Seconds }

// report is the outcome of a run.
type report struct {
	Config     config
	Phases     []phase
	Verified   int64 // requests fully verified by the server
	Rejected   int64 // requests the server refused
	NodeInfo   string
	GoMedian   float64
	NodeMedian float64
}

const (
	benchKeyID   = "SANDBOX-BENCHNODECOMPARE0000001"
	benchCharge  = "S01-1234567-1234567-C123456"
	verifyFirstN = 16 // fully verified requests at the start of each phase
)

func main() {
	cfg := config{Algorithm: signing.AlgorithmV2}
	var alg string
	flag.IntVar(&cfg.Calls, "calls", 2000, "measured calls per client per round")
	flag.IntVar(&cfg.Warmup, "warmup", 100, "warm-up calls per client per round")
	flag.IntVar(&cfg.Concurrency, "concurrency", 8, "calls in flight per client")
	flag.IntVar(&cfg.Rounds, "rounds", 3, "rounds of Go then Node")
	flag.StringVar(&alg, "algorithm", string(signing.AlgorithmV2), "signature algorithm")
	flag.StringVar(&cfg.Node, "node", "node", "the node binary")
	flag.StringVar(&cfg.Script, "script", "bench/nodecompare/node_sdk.js", "the Node side")
	flag.StringVar(&cfg.NodeModules, "node-modules", "interop/node_modules", "node_modules holding the official SDK (npm ci in interop/)")
	flag.Parse()
	var err error
	if cfg.Algorithm, err = signing.ParseAlgorithm(alg); err != nil {
		fmt.Fprintln(os.Stderr, "nodecompare:", err)
		os.Exit(2)
	}
	rep, err := run(context.Background(), cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodecompare:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
}

// run measures cfg.Rounds rounds of Go then Node.
func run(ctx context.Context, cfg config, progress io.Writer) (*report, error) {
	if cfg.Calls <= 0 || cfg.Concurrency <= 0 || cfg.Rounds <= 0 || cfg.Warmup < 0 {
		return nil, errors.New("calls, concurrency and rounds must be positive")
	}
	script, err := filepath.Abs(cfg.Script)
	if err != nil {
		return nil, err
	}
	modules, err := filepath.Abs(cfg.NodeModules)
	if err != nil {
		return nil, err
	}
	sdkVersion, err := nodeSDKVersion(modules)
	if err != nil {
		return nil, fmt.Errorf("the official Node SDK is not installed in %s (run npm ci in interop/): %w", cfg.NodeModules, err)
	}
	nodeVersion, err := exec.CommandContext(ctx, cfg.Node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", cfg.Node, err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	keyPEM, err := signing.EncodePrivateKey(key)
	if err != nil {
		return nil, err
	}
	srv := newServer(&key.PublicKey)
	defer srv.Close()

	rep := &report{Config: cfg, NodeInfo: fmt.Sprintf("node %s, @amazonpay/amazon-pay-api-sdk-nodejs %s", strings.TrimSpace(string(nodeVersion)), sdkVersion)}
	var goRates, nodeRates []float64
	for round := 1; round <= cfg.Rounds; round++ {
		srv.startPhase()
		p, err := runGo(ctx, cfg, srv, key)
		if err != nil {
			return nil, fmt.Errorf("round %d, Go SDK: %w", round, err)
		}
		rep.Phases = append(rep.Phases, srv.endPhase(round, p))
		goRates = append(goRates, p.PerSecond())
		fmt.Fprintf(progress, "round %d: Go SDK %.0f calls/s\n", round, p.PerSecond())

		srv.startPhase()
		p, err = runNode(ctx, cfg, srv, script, modules, string(keyPEM))
		if err != nil {
			return nil, fmt.Errorf("round %d, Node SDK: %w", round, err)
		}
		rep.Phases = append(rep.Phases, srv.endPhase(round, p))
		nodeRates = append(nodeRates, p.PerSecond())
		fmt.Fprintf(progress, "round %d: Node SDK %.0f calls/s\n", round, p.PerSecond())
	}
	rep.Verified, rep.Rejected = srv.verified.Load(), srv.rejected.Load()
	rep.GoMedian, rep.NodeMedian = median(goRates), median(nodeRates)
	if rep.Rejected > 0 {
		return rep, fmt.Errorf("the server rejected %d requests", rep.Rejected)
	}
	for _, p := range rep.Phases {
		if p.Errors > 0 {
			return rep, fmt.Errorf("round %d, %s: %d calls failed", p.Round, p.Client, p.Errors)
		}
	}
	return rep, nil
}

func runGo(ctx context.Context, cfg config, srv *server, key *rsa.PrivateKey) (phase, error) {
	client, err := amazonpay.NewClient(
		amazonpay.WithPublicKeyID(benchKeyID),
		amazonpay.WithRSAPrivateKey(key),
		amazonpay.WithRegion("us"),
		amazonpay.WithAlgorithm(string(cfg.Algorithm)),
		amazonpay.WithBaseURL(srv.URL),
		amazonpay.WithCACertPEM(srv.certPEM),
	)
	if err != nil {
		return phase{}, err
	}
	goCalls(ctx, client, cfg.Warmup, cfg.Concurrency)
	start := time.Now()
	errs := goCalls(ctx, client, cfg.Calls, cfg.Concurrency)
	return phase{Client: "Go SDK", Calls: cfg.Calls, Errors: errs, Seconds: time.Since(start).Seconds()}, nil
}

// goCalls makes n Get Charge calls with concurrency workers and returns
// how many failed.
func goCalls(ctx context.Context, client *amazonpay.Client, n, concurrency int) int {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, _, err := client.Charges.Get(ctx, benchCharge); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(failed.Load())
}

func runNode(ctx context.Context, cfg config, srv *server, script, modules, keyPEM string) (phase, error) {
	in, err := json.Marshal(map[string]any{
		"serviceUrl": strings.TrimPrefix(srv.URL, "https://"), "publicKeyId": benchKeyID, "privateKey": keyPEM,
		"algorithm": string(cfg.Algorithm), "chargeId": benchCharge,
		"warmup": cfg.Warmup, "calls": cfg.Calls, "concurrency": cfg.Concurrency,
	})
	if err != nil {
		return phase{}, err
	}
	cmd := exec.CommandContext(ctx, cfg.Node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "NODE_NO_WARNINGS=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return phase{}, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	var out struct {
		Calls   int     `json:"calls"`
		Errors  int     `json:"errors"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return phase{}, fmt.Errorf("node printed %q: %w", stdout.String(), err)
	}
	return phase{Client: "Node SDK", Calls: out.Calls, Errors: out.Errors, Seconds: out.Seconds}, nil
}

func nodeSDKVersion(modules string) (string, error) {
	b, err := os.ReadFile(filepath.Join(modules, "@amazonpay", "amazon-pay-api-sdk-nodejs", "package.json"))
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return "", err
	}
	return pkg.Version, nil
}

// server is the local HTTPS endpoint both clients call.
type server struct {
	*httptest.Server
	certPEM  []byte
	pub      *rsa.PublicKey
	conns    atomic.Int64
	reqs     atomic.Int64
	verified atomic.Int64
	rejected atomic.Int64
}

// chargeJSON is the fixed answer, shaped like a real Get Charge response.
const chargeJSON = `{"chargeId":"S01-1234567-1234567-C123456","chargePermissionId":"S01-1234567-1234567",` +
	`"chargeAmount":{"amount":"14.00","currencyCode":"USD"},"captureAmount":{"amount":"14.00","currencyCode":"USD"},` +
	`"refundedAmount":{"amount":"0.00","currencyCode":"USD"},"convertedAmount":null,"conversionRate":null,` +
	`"softDescriptor":"AMZ*shop","merchantMetadata":{"merchantReferenceId":"order-1","merchantStoreName":"Shop","noteToBuyer":null,"customInformation":null},` +
	`"providerMetadata":{"providerReferenceId":null},"statusDetails":{"state":"Captured","reasonCode":null,"reasonDescription":null,"lastUpdatedTimestamp":"20240115T123456Z"},` +
	`"creationTimestamp":"20240115T123000Z","expirationTimestamp":"20240214T123000Z","releaseEnvironment":"Sandbox","channel":"Web","chargeInitiator":"CITU"}`

func newServer(pub *rsa.PublicKey) *server {
	s := &server{pub: pub}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	s.certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok := strings.HasPrefix(r.Header.Get("Authorization"), "AMZN-PAY-RSASSA-PSS")
	if s.reqs.Add(1) <= verifyFirstN {
		_, err := signing.VerifyRequest(r, body, func(id string) (*rsa.PublicKey, error) {
			if id != benchKeyID {
				return nil, errors.New("unknown key")
			}
			return s.pub, nil
		})
		ok = err == nil
		if ok {
			s.verified.Add(1)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Pay-Request-Id", "bench")
	if !ok || r.Method != http.MethodGet || r.URL.Path != "/v2/charges/"+benchCharge {
		s.rejected.Add(1)
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"reasonCode":"InvalidRequestSignature","message":"rejected by the benchmark server"}`)
		return
	}
	io.WriteString(w, chargeJSON)
}

// startPhase drops the previous client's connections and zeroes the
// per-phase counters.
func (s *server) startPhase() {
	s.CloseClientConnections()
	s.conns.Store(0)
	s.reqs.Store(0)
}

func (s *server) endPhase(round int, p phase) phase {
	p.Round = round
	p.Connections = s.conns.Load()
	p.Requests = s.reqs.Load()
	return p
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func (r *report) print(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "Signed Get Charge calls against one local HTTPS server (127.0.0.1), %s, 2048-bit RSA key.\n", c.Algorithm)
	fmt.Fprintf(w, "Per client and round: %d warm-up calls, then %d measured calls, %d in flight; %d rounds.\n", c.Warmup, c.Calls, c.Concurrency, c.Rounds)
	fmt.Fprintf(w, "%s; %s %s/%s, GOMAXPROCS %d, %d CPUs.\n\n", r.NodeInfo, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintln(w, "| round | client | calls/s | seconds | failed calls | TLS connections (incl. warm-up) | requests (incl. warm-up) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, p := range r.Phases {
		fmt.Fprintf(w, "| %d | %s | %.0f | %.2f | %d | %d | %d |\n", p.Round, p.Client, p.PerSecond(), p.Seconds, p.Errors, p.Connections, p.Requests)
	}
	fmt.Fprintf(w, "\nMedian: Go SDK %.0f calls/s, Node SDK %.0f calls/s; Go/Node = %.2fx. Server verified %d requests in full, rejected %d.\n",
		r.GoMedian, r.NodeMedian, r.GoMedian/r.NodeMedian, r.Verified, r.Rejected)
}
