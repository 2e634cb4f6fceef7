package sns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
)

// receiver is a merchant endpoint that answers with scripted statuses
// (200 once the script runs out) and keeps what it received.
type receiver struct {
	mu      sync.Mutex
	script  []int
	bodies  [][]byte
	headers []http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, body)
	r.headers = append(r.headers, req.Header.Clone())
	status := http.StatusOK
	if len(r.script) > 0 {
		status, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	w.WriteHeader(status)
}

// objectIDs lists the ObjectId of every received envelope, in order.
func (r *receiver) objectIDs(t testing.TB) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, b := range r.bodies {
		env, err := notification.ParseEnvelope(b)
		if err != nil {
			t.Fatal(err)
		}
		m, err := notification.ParseMessage([]byte(env.Message))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ObjectID)
	}
	return ids
}

// sleeper records the waits asked for and returns at once.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ds)
}

func newTestSender(t testing.TB, cfg SenderConfig) (*Sender, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	if cfg.Sleep == nil {
		cfg.Sleep = sl.sleep
	}
	s := NewSender(cfg)
	t.Cleanup(func() { _ = s.Close() })
	return s, sl
}

func envelopeFor(t testing.TB, objectID string) *notification.Envelope {
	t.Helper()
	m := chargeMessage
	m.ObjectID = objectID
	env, err := issuer(t).Notification(m, notification.SignatureVersion2)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestSendDeliversLikeSNS(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{})
	env := envelopeFor(t, "C1")
	rec, err := s.Send(context.Background(), srv.URL+"/ipn", env)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusSent || rec.Attempts != 1 || rec.LastStatusCode != 200 || rec.SentAt.IsZero() ||
		rec.MessageID != env.MessageID || rec.Message.ObjectID != "C1" || rec.URL != srv.URL+"/ipn" {
		t.Errorf("record %+v", rec)
	}
	h := rcv.headers[0]
	want := map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"X-Amz-Sns-Message-Type": "Notification",
		"X-Amz-Sns-Message-Id":   env.MessageID,
		"X-Amz-Sns-Topic-Arn":    env.TopicARN,
		"User-Agent":             "Amazon Simple Notification Service Agent",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, h.Get(k), v)
		}
	}
	if got := h.Get("X-Amz-Sns-Subscription-Arn"); len(got) <= len(env.TopicARN) {
		t.Errorf("subscription ARN %q", got)
	}
	got, err := notification.ParseEnvelope(rcv.bodies[0])
	if err != nil || *got != *env {
		t.Errorf("body %v: %+v", err, got)
	}
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name     string
		script   []int
		attempts int
		status   Status
		waits    []time.Duration
	}{
		{"5xx then success", []int{500, 503}, 3, StatusSent, []time.Duration{time.Second, 2 * time.Second}},
		{"429 is retried", []int{429}, 2, StatusSent, []time.Duration{time.Second}},
		{"exhausted", []int{500, 500, 500, 500}, 3, StatusFailed, []time.Duration{time.Second, 2 * time.Second}},
		{"4xx is final", []int{403}, 1, StatusFailed, nil},
		{"3xx is final", []int{302}, 1, StatusFailed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{script: slices.Clone(tt.script)}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			s, sl := newTestSender(t, SenderConfig{})
			rec, err := s.Send(context.Background(), srv.URL, envelopeFor(t, "C1"))
			if (err != nil) != (tt.status == StatusFailed) {
				t.Fatalf("Send error %v with status %s", err, rec.Status)
			}
			if rec.Status != tt.status || rec.Attempts != tt.attempts {
				t.Errorf("status %s after %d attempts, want %s after %d (%+v)", rec.Status, rec.Attempts, tt.status, tt.attempts, rec)
			}
			if got := sl.waits(); !slices.Equal(got, tt.waits) {
				t.Errorf("waits %v, want %v", got, tt.waits)
			}
			if len(rcv.bodies) != tt.attempts {
				t.Errorf("receiver saw %d posts", len(rcv.bodies))
			}
		})
	}
}

func TestSendRetriesNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	s, sl := newTestSender(t, SenderConfig{MaxAttempts: 4, Backoff: func(n int) time.Duration { return time.Duration(n) * time.Millisecond }})
	rec, err := s.Send(context.Background(), url, envelopeFor(t, "C1"))
	if err == nil || rec.Status != StatusFailed || rec.Attempts != 4 || rec.Error == "" {
		t.Fatalf("record %+v, err %v", rec, err)
	}
	if got := sl.waits(); !slices.Equal(got, []time.Duration{1 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}) {
		t.Errorf("waits %v", got)
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 20 * time.Second, 20 * time.Second}
	for i, w := range want {
		if got := defaultBackoff(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  []Fault
		objects []string // dispatched in this order
		got     []string // ObjectIds received, in order
		status  []string // "ObjectId:status" of every record, sorted
		waits   []time.Duration
	}{
		{"none", nil, []string{"A", "B"}, []string{"A", "B"}, []string{"A:sent", "B:sent"}, nil},
		{"drop", []Fault{{Mode: FaultDrop}}, []string{"A", "B"}, []string{"B"}, []string{"A:dropped", "B:sent"}, nil},
		{"drop two", []Fault{{Mode: FaultDrop, Count: 2}}, []string{"A", "B", "C"}, []string{"C"}, []string{"A:dropped", "B:dropped", "C:sent"}, nil},
		{"duplicate", []Fault{{Mode: FaultDuplicate}}, []string{"A", "B"}, []string{"A", "A", "B"}, []string{"A:sent", "A:sent", "B:sent"}, nil},
		{"delay", []Fault{{Mode: FaultDelay, Delay: 90 * time.Second}}, []string{"A", "B"}, []string{"A", "B"}, []string{"A:sent", "B:sent"}, []time.Duration{90 * time.Second}},
		{"reorder", []Fault{{Mode: FaultReorder}}, []string{"A", "B", "C"}, []string{"B", "A", "C"}, []string{"A:sent", "B:sent", "C:sent"}, nil},
		{"reorder released by flush", []Fault{{Mode: FaultReorder}}, []string{"A"}, []string{"A"}, []string{"A:sent"}, nil},
		{"reorder then drop", []Fault{{Mode: FaultReorder}, {Mode: FaultDrop}}, []string{"A", "B", "C"}, []string{"A", "C"}, []string{"A:sent", "B:dropped", "C:sent"}, nil},
		{"faults in sequence", []Fault{{Mode: FaultDuplicate}, {Mode: FaultDrop}}, []string{"A", "B", "C"}, []string{"A", "A", "C"}, []string{"A:sent", "A:sent", "B:dropped", "C:sent"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			s, sl := newTestSender(t, SenderConfig{})
			for _, f := range tt.faults {
				if err := s.InjectFault(f); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range tt.objects {
				s.Dispatch(srv.URL, envelopeFor(t, id))
			}
			// Flush waits for the queue and releases anything still held.
			if err := s.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := rcv.objectIDs(t); !slices.Equal(got, tt.got) {
				t.Errorf("received %v, want %v", got, tt.got)
			}
			// A duplicate's record is added when it is made, so its place
			// among records dispatched meanwhile depends on timing.
			var statuses []string
			for _, r := range s.Records() {
				statuses = append(statuses, r.Message.ObjectID+":"+string(r.Status))
			}
			slices.Sort(statuses)
			if !slices.Equal(statuses, tt.status) {
				t.Errorf("statuses %v, want %v", statuses, tt.status)
			}
			if got := sl.waits(); !slices.Equal(got, tt.waits) {
				t.Errorf("waits %v, want %v", got, tt.waits)
			}
			if len(s.Faults()) != 0 {
				t.Errorf("faults left: %v", s.Faults())
			}
		})
	}
}

func TestReorderHoldsUntilTheNextOne(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{})
	if err := s.InjectFault(Fault{Mode: FaultReorder}); err != nil {
		t.Fatal(err)
	}
	a, err := s.Send(context.Background(), srv.URL, envelopeFor(t, "A"))
	if err != nil || a.Status != StatusHeld || a.Fault != FaultReorder {
		t.Fatalf("A: %+v %v", a, err)
	}
	if len(rcv.objectIDs(t)) != 0 {
		t.Fatal("held notification was sent")
	}
	if _, err := s.Send(context.Background(), srv.URL, envelopeFor(t, "B")); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rcv.objectIDs(t); !slices.Equal(got, []string{"B", "A"}) {
		t.Fatalf("received %v", got)
	}
	recs := s.Records()
	if recs[0].Status != StatusSent || recs[0].Fault != FaultReorder {
		t.Errorf("A's record: %+v", recs[0])
	}
}

func TestDuplicateRecords(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{})
	_ = s.InjectFault(Fault{Mode: FaultDuplicate})
	env := envelopeFor(t, "A")
	if _, err := s.Send(context.Background(), srv.URL, env); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := s.Records()
	if len(recs) != 2 || recs[0].MessageID != recs[1].MessageID || recs[0].Duplicate || !recs[1].Duplicate || recs[1].ID != recs[0].ID+1 {
		t.Fatalf("records %+v", recs)
	}
	if string(rcv.bodies[0]) != string(rcv.bodies[1]) {
		t.Error("duplicate body differs")
	}
}

func TestInjectFaultValidates(t *testing.T) {
	s, _ := newTestSender(t, SenderConfig{})
	for _, f := range []Fault{{Mode: "explode"}, {Mode: FaultDelay}, {Mode: FaultDrop, Count: -1}} {
		if err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) accepted", f)
		}
	}
}

func TestCloseFailsWhatIsLeft(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	entered := make(chan struct{})
	block := func(ctx context.Context, d time.Duration) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}
	s := NewSender(SenderConfig{Sleep: block, QueueSize: 1})
	_ = s.InjectFault(Fault{Mode: FaultDelay, Delay: time.Hour})
	s.Dispatch(srv.URL, envelopeFor(t, "A")) // taken by the worker, delayed
	<-entered
	s.Dispatch(srv.URL, envelopeFor(t, "B")) // waits in the queue
	full := s.Dispatch(srv.URL, envelopeFor(t, "C"))
	if full.Status != StatusFailed || full.Error != "queue full" {
		t.Errorf("C: %+v", full)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Records() {
		if r.Status != StatusFailed {
			t.Errorf("record %d after Close: %s", r.ID, r.Status)
		}
	}
	if len(rcv.bodies) != 0 {
		t.Errorf("sent %d after all", len(rcv.bodies))
	}
	late := s.Dispatch(srv.URL, envelopeFor(t, "D"))
	if late.Status != StatusFailed || late.Error != ErrClosed.Error() {
		t.Errorf("after Close: %+v", late)
	}
	if _, err := s.Send(context.Background(), srv.URL, envelopeFor(t, "E")); err == nil {
		t.Error("Send after Close succeeded")
	}
	if err := s.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	s := NewSender(SenderConfig{Sleep: func(ctx context.Context, _ time.Duration) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	}})
	defer func() { close(release); _ = s.Close() }()
	_ = s.InjectFault(Fault{Mode: FaultDelay, Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	rec, err := s.Send(ctx, "http://127.0.0.1:1/", envelopeFor(t, "A"))
	if !errors.Is(err, context.Canceled) || rec.Status != StatusDelayed {
		t.Fatalf("Send = %+v, %v", rec, err)
	}
}

func TestRecordsBoundedAndReset(t *testing.T) {
	srv := httptest.NewServer(&receiver{})
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{MaxRecords: 2})
	for _, id := range []string{"A", "B", "C"} {
		s.Dispatch(srv.URL, envelopeFor(t, id))
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := s.Records()
	if len(recs) != 2 || recs[0].ID != 2 || recs[1].Message.ObjectID != "C" {
		t.Fatalf("records %+v", recs)
	}
	_ = s.InjectFault(Fault{Mode: FaultDrop})
	s.Reset()
	if len(s.Records()) != 0 || len(s.Faults()) != 0 {
		t.Fatalf("after Reset: %v %v", s.Records(), s.Faults())
	}
}

func TestRecordJSON(t *testing.T) {
	srv := httptest.NewServer(&receiver{})
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if _, err := s.Send(context.Background(), srv.URL, envelopeFor(t, "C9")); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s.Records())
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r["status"] != "sent" || r["attempts"] != 1.0 || r["message"].(map[string]any)["ObjectId"] != "C9" ||
		r["envelope"].(map[string]any)["Type"] != "Notification" || r["sentAt"] != "2025-01-01T00:00:00Z" {
		t.Errorf("record JSON %s", b)
	}
}

func TestConcurrentDispatch(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	s, _ := newTestSender(t, SenderConfig{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				s.Dispatch(srv.URL, envelopeFor(t, "X"))
				_ = s.Records()
			}
		})
	}
	wg.Wait()
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.objectIDs(t)); n != 20 {
		t.Errorf("received %d, want 20", n)
	}
}
