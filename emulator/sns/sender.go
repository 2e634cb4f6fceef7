package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/internal/ctxsleep"
)

// Defaults for SenderConfig.
const (
	DefaultMaxAttempts = 3
	DefaultQueueSize   = 256
	DefaultMaxRecords  = 1000
	DefaultTimeout     = 10 * time.Second
	// maxBackoff caps the default backoff: the emulator retries within
	// seconds what SNS retries within hours.
	maxBackoff = 20 * time.Second
)

// ErrClosed is returned by a Sender that was closed.
var ErrClosed = errors.New("sns: sender closed")

// SenderConfig configures [NewSender]; the zero value is usable.
type SenderConfig struct {
	// Client POSTs the envelopes (default: 10 s timeout). Give it the
	// merchant's CA if the endpoint is HTTPS with a private certificate.
	Client *http.Client
	// MaxAttempts bounds the tries per notification (default 3).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1-based) before the next
	// (default 1 s, 2 s, 4 s, … capped at 20 s).
	Backoff func(attempt int) time.Duration
	// Sleep waits d or until ctx ends (default a timer). Tests pass one that
	// returns at once, or records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps the records (default time.Now).
	Now func() time.Time
	// QueueSize bounds notifications waiting to be sent (default 256); when
	// full, Dispatch records the notification as failed.
	QueueSize int
	// MaxRecords bounds the history kept for Records (default 1000; oldest
	// first out).
	MaxRecords int
	// Logger receives one warning per notification that could not be
	// delivered (default: discard).
	Logger *slog.Logger
}

// Sender delivers envelopes in order from one queue, with retries and
// injectable faults, and records every notification. It is safe for
// concurrent use; Close it when done.
type Sender struct {
	cfg            SenderConfig
	subscriptionID string
	queue          chan *job
	ctx            context.Context
	cancel         context.CancelFunc
	done           chan struct{}

	mu      sync.Mutex
	closed  bool
	nextID  int64
	records []*Record
	faults  []Fault
	held    []*job // reordered notifications waiting for the next one
}

type job struct {
	rec     *Record // fields written under Sender.mu
	body    []byte
	barrier chan struct{} // set for a Flush marker instead of a notification
	settle  sync.Once
	settled chan struct{}
}

// NewSender starts a Sender's delivery goroutine.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.MaxAttempts < 1 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = defaultBackoff
	}
	if cfg.Sleep == nil {
		cfg.Sleep = ctxsleep.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.QueueSize < 1 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxRecords < 1 {
		cfg.MaxRecords = DefaultMaxRecords
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{
		cfg:            cfg,
		subscriptionID: newUUID(),
		queue:          make(chan *job, cfg.QueueSize),
		ctx:            ctx,
		cancel:         cancel,
		done:           make(chan struct{}),
	}
	go s.run()
	return s
}

func defaultBackoff(attempt int) time.Duration {
	if attempt < 1 || attempt > 5 {
		return maxBackoff
	}
	return min(time.Second<<(attempt-1), maxBackoff)
}

// Dispatch queues env for target and returns its record at once; delivery
// happens in the background, in queue order.
func (s *Sender) Dispatch(target string, env *notification.Envelope) Record {
	j := s.enqueue(target, env)
	s.mu.Lock()
	defer s.mu.Unlock()
	return *j.rec
}

// Send queues env for target and waits until it is sent, has failed, was
// dropped or is held by a reorder fault, or ctx ends (delivery then goes
// on in the background). The error is non-nil only when the notification
// failed (or ctx ended): a drop or hold is the fault working as asked.
func (s *Sender) Send(ctx context.Context, target string, env *notification.Envelope) (Record, error) {
	j := s.enqueue(target, env)
	select {
	case <-j.settled:
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		return *j.rec, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.rec.Status == StatusFailed {
		return *j.rec, fmt.Errorf("sns: notification %s to %s failed after %d attempt(s): %s", j.rec.MessageID, j.rec.URL, j.rec.Attempts, j.rec.Error)
	}
	return *j.rec, nil
}

// enqueue records the notification and puts it on the queue.
func (s *Sender) enqueue(target string, env *notification.Envelope) *job {
	body, err := encodeEnvelope(env)
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &job{rec: s.newRecordLocked(target, env), body: body, settled: make(chan struct{})}
	switch {
	case err != nil:
		s.failLocked(j, err.Error())
	case s.closed:
		s.failLocked(j, ErrClosed.Error())
	default:
		select {
		case s.queue <- j:
		default:
			s.failLocked(j, "queue full")
		}
	}
	return j
}

func encodeEnvelope(env *notification.Envelope) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s *Sender) newRecordLocked(target string, env *notification.Envelope) *Record {
	s.nextID++
	now := s.cfg.Now().UTC()
	rec := &Record{
		ID: s.nextID, MessageID: env.MessageID, URL: target, Status: StatusPending,
		CreatedAt: now, UpdatedAt: now, Envelope: *env,
	}
	if env.Type == notification.TypeNotification {
		if m, err := notification.ParseMessage([]byte(env.Message)); err == nil {
			rec.Message = *m
		}
	}
	s.records = append(s.records, rec)
	if over := len(s.records) - s.cfg.MaxRecords; over > 0 {
		s.records = append(s.records[:0:0], s.records[over:]...)
	}
	return rec
}

// failLocked marks j failed and releases a waiting Send. s.mu held.
func (s *Sender) failLocked(j *job, reason string) {
	j.rec.Status, j.rec.Error, j.rec.UpdatedAt = StatusFailed, reason, s.cfg.Now().UTC()
	j.settle.Do(func() { close(j.settled) })
}

// update changes j's record under the lock.
func (s *Sender) update(j *job, f func(r *Record)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(j.rec)
	j.rec.UpdatedAt = s.cfg.Now().UTC()
	if j.rec.settled() {
		j.settle.Do(func() { close(j.settled) })
	}
}

// InjectFault makes the next f.Count notifications misbehave. Faults queue
// up: the first one is used up before the next applies.
func (s *Sender) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
	return nil
}

// Faults returns the faults still to be applied.
func (s *Sender) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Fault(nil), s.faults...)
}

func (s *Sender) takeFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}
	}
	f := s.faults[0]
	if s.faults[0].Count--; s.faults[0].Count == 0 {
		s.faults = s.faults[1:]
	}
	return f
}

// Records returns every recorded notification, oldest first (newest last,
// as GET /_emulator/notifications lists them).
func (s *Sender) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.records))
	for i, r := range s.records {
		out[i] = *r
	}
	return out
}

// Reset forgets the records and pending faults, and drops held
// notifications; a notification being sent right now still finishes.
func (s *Sender) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.held {
		j.rec.Status, j.rec.UpdatedAt = StatusDropped, s.cfg.Now().UTC()
	}
	s.records, s.faults, s.held = nil, nil, nil
}

// Flush waits until everything queued before it has been processed, and
// sends held (reordered) notifications that no later one released.
func (s *Sender) Flush(ctx context.Context) error {
	b := &job{barrier: make(chan struct{})}
	select {
	case s.queue <- b:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
	select {
	case <-b.barrier:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

// Close stops delivery: queued and held notifications are recorded as
// failed, and a POST in progress is abandoned. It waits for the delivery
// goroutine to end.
func (s *Sender) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	<-s.done
	return nil
}

// run is the delivery goroutine.
func (s *Sender) run() {
	defer close(s.done)
	for {
		select {
		case <-s.ctx.Done():
			s.drain()
			return
		case j := <-s.queue:
			if s.ctx.Err() != nil { // closed while this one waited
				s.mu.Lock()
				if j.barrier == nil {
					s.failLocked(j, ErrClosed.Error())
				}
				s.mu.Unlock()
				continue
			}
			if j.barrier != nil {
				s.releaseHeld()
				close(j.barrier)
				continue
			}
			s.process(j)
		}
	}
}

// drain fails what is left once the Sender is closed.
func (s *Sender) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.held {
		s.failLocked(j, ErrClosed.Error())
	}
	s.held = nil
	for {
		select {
		case j := <-s.queue:
			if j.barrier != nil {
				continue
			}
			s.failLocked(j, ErrClosed.Error())
		default:
			return
		}
	}
}

// process applies the next fault to j and delivers it (or not).
func (s *Sender) process(j *job) {
	f := s.takeFault()
	switch f.Mode {
	case FaultDrop:
		s.update(j, func(r *Record) { r.Status, r.Fault = StatusDropped, FaultDrop })
	case FaultReorder:
		s.update(j, func(r *Record) {
			r.Status, r.Fault = StatusHeld, FaultReorder
			s.held = append(s.held, j) // s.mu is held by update
		})
		return // released after the next notification
	case FaultDelay:
		s.update(j, func(r *Record) { r.Status, r.Fault = StatusDelayed, FaultDelay })
		if err := s.cfg.Sleep(s.ctx, f.Delay); err != nil {
			s.update(j, func(r *Record) { r.Status, r.Error = StatusFailed, ErrClosed.Error() })
			return
		}
		s.deliver(j)
	case FaultDuplicate:
		s.update(j, func(r *Record) { r.Fault = FaultDuplicate })
		s.deliver(j)
		s.deliver(s.duplicate(j))
	default:
		s.deliver(j)
	}
	s.releaseHeld()
}

// duplicate records a second copy of j.
func (s *Sender) duplicate(j *job) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.newRecordLocked(j.rec.URL, &j.rec.Envelope)
	rec.Fault, rec.Duplicate = FaultDuplicate, true
	return &job{rec: rec, body: j.body, settled: make(chan struct{})}
}

// releaseHeld sends the notifications a reorder fault held back.
func (s *Sender) releaseHeld() {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, j := range held {
		s.deliver(j)
	}
}

// deliver POSTs j with retries: network errors, 429 and 5xx are retried;
// any other non-2xx answer is final, as with SNS.
func (s *Sender) deliver(j *job) {
	for attempt := 1; ; attempt++ {
		s.update(j, func(r *Record) { r.Status, r.Attempts = StatusSending, r.Attempts+1 })
		code, err := s.post(j)
		if err == nil && code/100 == 2 {
			s.update(j, func(r *Record) {
				r.Status, r.LastStatusCode, r.Error, r.SentAt = StatusSent, code, "", s.cfg.Now().UTC()
			})
			return
		}
		reason := fmt.Sprintf("status %d", code)
		if err != nil {
			reason = err.Error()
		}
		retry := err != nil || code == http.StatusTooManyRequests || code >= 500
		final := !retry || attempt >= s.cfg.MaxAttempts
		if !final {
			s.update(j, func(r *Record) { r.LastStatusCode, r.Error = code, reason })
			if err := s.cfg.Sleep(s.ctx, s.cfg.Backoff(attempt)); err != nil {
				final, reason = true, ErrClosed.Error()
			}
		}
		if final {
			s.update(j, func(r *Record) { r.Status, r.LastStatusCode, r.Error = StatusFailed, code, reason })
			s.cfg.Logger.Warn("sns: notification not delivered", "messageId", j.rec.MessageID, "url", j.rec.URL, "attempts", attempt, "error", reason)
			return
		}
	}
}

// post makes one attempt and returns the status code.
func (s *Sender) post(j *job) (int, error) {
	s.mu.Lock()
	target, env := j.rec.URL, j.rec.Envelope
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(j.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("X-Amz-Sns-Message-Type", env.Type)
	req.Header.Set("X-Amz-Sns-Message-Id", env.MessageID)
	req.Header.Set("X-Amz-Sns-Topic-Arn", env.TopicARN)
	if env.Type == notification.TypeNotification {
		req.Header.Set("X-Amz-Sns-Subscription-Arn", env.TopicARN+":"+s.subscriptionID)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
