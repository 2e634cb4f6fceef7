// Command storefront measures the demo shop two ways and prints the figures
// for docs/benchmarks.md:
//
//  1. Start to ready of `apay demo`: from starting the process to the first
//     200 answer of the storefront's product page, on a fresh data directory
//     (the key pair is generated, the database created) and on a second
//     start over the same directory.
//  2. Storefront latency under load: -c concurrent shoppers (each with its
//     own cart cookie) fetch the product page and their cart page (which
//     renders the server-signed Amazon Pay button) -n times each, from this
//     process, against `apay demo` running in its own process; then the same
//     load against a bare net/http "hello" handler, also in its own process
//     (this program, re-run as "hello"). The p99 ratio compares the two in
//     the same run, on the same loopback and CPUs.
//
// Run it from the repository root:
//
//	go build -o /tmp/apay ./cmd/apay && go run ./bench/storefront -apay /tmp/apay
//
// Everything listens on 127.0.0.1 and the load is bounded (-c × -n
// requests per page).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hello" {
		hello()
		return
	}
	apay := flag.String("apay", "", "path to a built apay binary (required)")
	shoppers := flag.Int("c", 50, "concurrent shoppers")
	rounds := flag.Int("n", 100, "requests per shopper and page")
	starts := flag.Int("starts", 5, "how many times to measure start to ready")
	flag.Parse()
	if *apay == "" {
		fmt.Fprintln(os.Stderr, "usage: storefront -apay PATH [-c 50] [-n 100] [-starts 5]")
		os.Exit(2)
	}
	if err := run(*apay, *shoppers, *rounds, *starts); err != nil {
		fmt.Fprintln(os.Stderr, "storefront:", err)
		os.Exit(1)
	}
}

// hello is the reference server: the smallest net/http handler.
func hello() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("hello http://%s\n", l.Addr())
	_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello\n")
	}))
}

func run(apay string, shoppers, rounds, starts int) error {
	tmp, err := os.MkdirTemp("", "apay-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Println("## apay demo: start to ready")
	var fresh, again []time.Duration
	for i := range starts {
		dir := fmt.Sprintf("%s/demo%d", tmp, i)
		for _, list := range []*[]time.Duration{&fresh, &again} {
			p, d, err := startDemo(apay, dir)
			if err != nil {
				return err
			}
			*list = append(*list, d)
			p.stop()
		}
	}
	fmt.Printf("fresh directory   median %v  max %v  (%d starts)\n", median(fresh), slices.Max(fresh), len(fresh))
	fmt.Printf("existing data     median %v  max %v  (%d starts)\n", median(again), slices.Max(again), len(again))

	demo, _, err := startDemo(apay, tmp+"/load")
	if err != nil {
		return err
	}
	defer demo.stop()
	helloProc, err := startProcess(os.Args[0], []string{"hello"}, regexp.MustCompile(`^hello (http://\S+)$`))
	if err != nil {
		return err
	}
	defer helloProc.stop()

	fmt.Printf("\n## storefront under load: %d shoppers × %d requests per page, from a separate process on loopback\n", shoppers, rounds)
	fmt.Println("| target | requests | req/s | p50 | p99 | max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	// Warm both up, then measure the hello handler between two storefront
	// runs, so a drift of the machine's load shows.
	if _, err := load(helloProc.url, []string{"/"}, shoppers, 10, false); err != nil {
		return err
	}
	if _, err := load(demo.url, []string{"/", "/cart"}, shoppers, 10, true); err != nil {
		return err
	}
	var storeP99, helloP99 []time.Duration
	for round := 0; round < 2; round++ {
		st, err := load(demo.url, []string{"/", "/cart"}, shoppers, rounds, true)
		if err != nil {
			return err
		}
		st.print("storefront / and /cart")
		storeP99 = append(storeP99, st.p(99))
		if round == 0 {
			he, err := load(helloProc.url, []string{"/"}, shoppers, rounds*2, false)
			if err != nil {
				return err
			}
			he.print("bare net/http hello")
			helloP99 = append(helloP99, he.p(99))
		}
	}
	fmt.Printf("\np99 storefront ÷ p99 hello: %.1f (runs %v, %v vs %v)\n",
		float64(median(storeP99))/float64(helloP99[0]), storeP99[0], storeP99[1], helloP99[0])
	return nil
}

// proc is a child process serving on url.
type proc struct {
	cmd *exec.Cmd
	url string
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// startProcess runs a program and waits for the line that names its URL.
func startProcess(path string, args []string, line *regexp.Regexp) (*proc, error) {
	cmd := exec.Command(path, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return &proc{cmd: cmd, url: strings.TrimSuffix(m[1], "/")}, nil
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, fmt.Errorf("%s %v printed no URL", path, args)
}

// startDemo starts apay demo on a free port and returns it with the time
// from starting the process to the first 200 of the product page.
func startDemo(apay, dir string) (*proc, time.Duration, error) {
	start := time.Now()
	p, err := startProcess(apay, []string{"demo", "--addr", "127.0.0.1:0", "--dir", dir}, regexp.MustCompile(`^storefront  (http://\S+)$`))
	if err != nil {
		return nil, 0, err
	}
	for {
		res, err := http.Get(p.url + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return p, time.Since(start), nil
			}
		}
		if time.Since(start) > 30*time.Second {
			p.stop()
			return nil, 0, errors.New("apay demo did not answer within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// stats are the latencies of one load run.
type stats struct {
	lat     []time.Duration
	elapsed time.Duration
}

func (s *stats) p(q int) time.Duration {
	i := (len(s.lat)*q + 99) / 100
	if i > 0 {
		i--
	}
	return s.lat[i]
}

func (s *stats) print(name string) {
	fmt.Printf("| %s | %d | %.0f | %v | %v | %v |\n", name, len(s.lat), float64(len(s.lat))/s.elapsed.Seconds(),
		s.p(50).Round(10*time.Microsecond), s.p(99).Round(10*time.Microsecond), s.lat[len(s.lat)-1].Round(10*time.Microsecond))
}

// load runs shoppers concurrent clients, each fetching every path rounds
// times; with cart set, each first puts product 1 in its own cart.
func load(base string, paths []string, shoppers, rounds int, cart bool) (*stats, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: shoppers, MaxConnsPerHost: shoppers}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range shoppers {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second}
			if cart {
				res, err := c.PostForm(base+"/cart/items", url.Values{"product_id": {"1"}, "quantity": {"1"}})
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
			mine := make([]time.Duration, 0, rounds*len(paths))
			for range rounds {
				for _, p := range paths {
					t0 := time.Now()
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p, nil)
					res, err := c.Do(req)
					if err == nil {
						_, err = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if err == nil && res.StatusCode != 200 {
							err = fmt.Errorf("GET %s: %s", p, res.Status)
						}
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						return
					}
					mine = append(mine, time.Since(t0))
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	slices.Sort(all)
	return &stats{lat: all, elapsed: time.Since(start)}, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
