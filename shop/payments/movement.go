package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/apaykit/apaykit/amazonpay"
	"github.com/apaykit/apaykit/shop"
)

// Prefixes of the client keys of movements a request makes on its own
// behalf, so that a retry of the request finds them again.
const (
	reauthCancelPrefix = "reauth-cancel:" // cancel the about-to-expire authorization
	reauthPrefix       = "reauth:"        // the new authorization
	afterReauthSuffix  = "/reauthorized"  // the capture after a re-authorization found by Amazon Pay's refusal
)

// callOpts is what a movement's call needs beyond the movement itself.
// These are not stored: a resumed cancel or close sends no reason.
type callOpts struct {
	reason        string
	cancelPending bool
}

// answer is Amazon Pay's answer to one call.
type answer struct {
	charge *amazonpay.Charge
	refund *amazonpay.Refund
	cp     *amazonpay.ChargePermission
	err    error
	call   *shop.AmazonCall
}

// verdict classifies an answer.
type verdict int

const (
	succeeded verdict = iota // Amazon Pay did it
	refused                  // Amazon Pay definitively refused; nothing moved
	unknown                  // no usable answer: it may or may not have happened
)

func (a *answer) verdict() verdict {
	if a.err == nil {
		return succeeded
	}
	var apiErr *amazonpay.APIError
	if errors.As(a.err, &apiErr) {
		if apiErr.Retryable() || apiErr.StatusCode >= 500 {
			return unknown
		}
		return refused
	}
	var inErr *amazonpay.InputError
	if errors.As(a.err, &inErr) {
		return refused
	}
	return unknown
}

func (a *answer) reason() amazonpay.ReasonCode {
	var apiErr *amazonpay.APIError
	if errors.As(a.err, &apiErr) {
		return apiErr.ReasonCode
	}
	var inErr *amazonpay.InputError
	if errors.As(a.err, &inErr) {
		return amazonpay.ReasonInvalidParameterValue
	}
	return ""
}

// begin records m (with the order locked by a) and returns it. A pending
// movement of another request on the order is busy; the same key with
// different parameters is a client error.
func (a *applier) begin(ctx context.Context, m *shop.MoneyMovement) (*shop.MoneyMovement, error) {
	m.OrderID, m.Currency = a.o.ID, a.o.Currency
	created, err := a.tx.BeginMoneyMovement(ctx, m)
	switch shop.ErrorCode(err) {
	case "":
	case shop.ECONFLICT:
		return nil, busy(a.o)
	case shop.EINVALID:
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused", Message: shop.ErrorMessage(err)}
	default:
		return nil, err
	}
	if created {
		if a.ms != nil {
			a.ms = append(a.ms, m)
		}
		a.created = m
	}
	return m, nil
}

// exec makes the Amazon Pay call of a pending movement (first time or
// resumed) and applies the answer. It runs detached from ctx's
// cancellation: once begun, a movement is better finished than left.
func (s *Service) exec(ctx context.Context, m *shop.MoneyMovement, snap *snapshot, co callOpts) (*Result, error) {
	s.mu.Lock()
	if f, ok := s.flights[m.ID]; ok {
		s.mu.Unlock()
		<-f.done
		if f.res == nil {
			return nil, f.err
		}
		res := *f.res
		return &res, f.err
	}
	f := &flight{done: make(chan struct{})}
	s.flights[m.ID] = f
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.flights, m.ID)
		s.mu.Unlock()
		close(f.done)
	}()
	f.res, f.err = s.execOnce(detach(ctx), m, snap, co)
	if f.res == nil {
		return nil, f.err
	}
	res := *f.res // callers adjust their result; the shared one stays as it was
	return &res, f.err
}

// execOnce is exec without the sharing.
func (s *Service) execOnce(ctx context.Context, m *shop.MoneyMovement, snap *snapshot, co callOpts) (*Result, error) {
	if snap == nil {
		cur, err := s.store.MoneyMovement(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status != shop.MovementPending {
			return s.replay(ctx, cur, co) // finished meanwhile by another request
		}
		snap = &snapshot{}
		if snap.o, err = s.store.Order(ctx, m.OrderID); err != nil {
			return nil, err
		}
		if snap.p, err = s.store.Payment(ctx, m.OrderID); err != nil {
			return nil, err
		}
	}
	ans := s.call(ctx, m, snap.o, snap.p, co)
	return s.finish(ctx, m, ans)
}

// call makes the Amazon Pay call of m. The request body is built only from
// the movement, the order and the payment, so a resumed call sends the
// same bytes with the same idempotency key, as Amazon Pay requires for a
// replay.
func (s *Service) call(ctx context.Context, m *shop.MoneyMovement, o *shop.Order, p *shop.Payment, co callOpts) *answer {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	start := time.Now()
	a := &answer{}
	var resp *amazonpay.Response
	var opName, resource string
	key := amazonpay.WithIdempotencyKey(m.AmazonKey)
	price, err := amazonpay.NewPrice(m.Amount, m.Currency)
	if err != nil && m.Operation != shop.OpCancel && m.Operation != shop.OpClose {
		a.err = err
		a.call = s.callRecord(o.ID, "", "", m.AmazonKey, nil, err, start)
		return a
	}
	switch m.Operation {
	case shop.OpAuthorize, shop.OpAuthorizeCapture:
		opName, resource = "CreateCharge", p.ChargePermissionID
		req := &amazonpay.CreateChargeRequest{
			ChargePermissionID:            p.ChargePermissionID,
			ChargeAmount:                  price,
			CaptureNow:                    m.Operation == shop.OpAuthorizeCapture,
			CanHandlePendingAuthorization: true,
			MerchantMetadata:              &amazonpay.MerchantMetadata{MerchantReferenceID: o.Number},
		}
		if req.CaptureNow {
			req.SoftDescriptor = s.cfg.SoftDescriptor
		}
		a.charge, resp, a.err = s.client.Charges.Create(ctx, req, key)
		if a.charge != nil {
			resource = a.charge.ChargeID
		}
	case shop.OpCapture:
		opName, resource = "CaptureCharge", m.ChargeID
		a.charge, resp, a.err = s.client.Charges.Capture(ctx, m.ChargeID,
			&amazonpay.CaptureChargeRequest{CaptureAmount: price, SoftDescriptor: s.cfg.SoftDescriptor}, key)
	case shop.OpCancel:
		opName, resource = "CancelCharge", m.ChargeID
		a.charge, resp, a.err = s.client.Charges.Cancel(ctx, m.ChargeID, &amazonpay.CancelChargeRequest{CancellationReason: reasonOf(m, co)})
	case shop.OpRefund:
		opName, resource = "CreateRefund", m.ChargeID
		a.refund, resp, a.err = s.client.Refunds.Create(ctx, &amazonpay.CreateRefundRequest{
			ChargeID: m.ChargeID, RefundAmount: price, SoftDescriptor: s.cfg.SoftDescriptor}, key)
		if a.refund != nil {
			resource = a.refund.RefundID
		}
	case shop.OpClose:
		opName, resource = "CloseChargePermission", p.ChargePermissionID
		a.cp, resp, a.err = s.client.ChargePermissions.Close(ctx, p.ChargePermissionID,
			&amazonpay.CloseChargePermissionRequest{ClosureReason: reasonOf(m, co), CancelPendingCharges: co.cancelPending})
	default:
		a.err = fmt.Errorf("payments: movement %d has operation %q, which this service does not run", m.ID, m.Operation)
	}
	a.call = s.callRecord(o.ID, opName, resource, m.AmazonKey, resp, a.err, start)
	return a
}

// reasonOf is the reason sent with m: the one stored when it was begun, so
// a resumed call (by a retry, another request or the reconciler) sends what
// the first attempt sent; a movement from before reasons were stored falls
// back to the request's.
func reasonOf(m *shop.MoneyMovement, co callOpts) string {
	if m.Reason != "" {
		return m.Reason
	}
	return co.reason
}

// callRecord builds the log entry of one call: ids, status and reason
// only, never bodies or headers.
func (s *Service) callRecord(orderID int64, op, resource, key string, resp *amazonpay.Response, err error, start time.Time) *shop.AmazonCall {
	c := &shop.AmazonCall{OrderID: orderID, Operation: op, ResourceID: resource, IdempotencyKey: key,
		At: s.now(), Duration: time.Since(start)}
	if resp != nil && resp.Response != nil {
		c.HTTPStatus, c.RequestID = resp.StatusCode, resp.RequestID
	}
	var apiErr *amazonpay.APIError
	switch {
	case err == nil:
	case errors.As(err, &apiErr):
		c.HTTPStatus, c.ReasonCode, c.RequestID = apiErr.StatusCode, string(apiErr.ReasonCode), apiErr.RequestID
	default:
		c.Error = transportError(err)
	}
	return c
}

// transportError names a failure without a response in a few words that
// cannot contain secrets.
func transportError(err error) string {
	var inErr *amazonpay.InputError
	var netErr net.Error
	switch {
	case errors.As(err, &inErr):
		return "invalid input: " + inErr.Field
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNRESET), strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case strings.Contains(err.Error(), "EOF"):
		return "connection closed without answer"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case strings.HasPrefix(err.Error(), "amazonpay: decoding"):
		return "undecodable answer"
	}
	return "transport error"
}

// finish applies the answer to m: on success the object is stored and the
// order moves, on a refusal the movement fails (a declined authorization
// declines the order), and with no usable answer the movement stays
// pending for a retry. Refusals that may only mean "already done" (a
// repeated cancel or close, which Amazon Pay does not deduplicate) are
// checked with a Get first.
func (s *Service) finish(ctx context.Context, m *shop.MoneyMovement, ans *answer) (*Result, error) {
	v := ans.verdict()
	var extra []*shop.AmazonCall
	if v == refused {
		if fixed, calls := s.verifyRefusal(ctx, m, ans); fixed != nil {
			ans, v = fixed, succeeded
			extra = calls
		} else {
			extra = calls
		}
	}
	if v == unknown {
		if err := s.store.AppendAmazonCall(ctx, ans.call); err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "payments: logging Amazon Pay call", slog.String("err", err.Error()))
		}
		e := fromAmazon(ans.err)
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: Amazon Pay gave no definitive answer; movement stays pending",
			slog.Int64("order_id", m.OrderID), slog.Int64("movement_id", m.ID), slog.String("operation", string(m.Operation)),
			slog.String("code", e.Code), slog.String("cause", ans.call.Error))
		return nil, e
	}
	res := &Result{Operation: m.Operation}
	var refusal error
	err := s.withTx(ctx, func(tx shop.Tx) error {
		a, err := s.lock(ctx, tx, m.OrderID)
		if err != nil {
			return err
		}
		var chargeID, refundID, reason string
		status := shop.MovementSucceeded
		if v == succeeded {
			if ans.charge != nil {
				if res.Charge, err = a.charge(ctx, ans.charge); err != nil {
					return err
				}
				chargeID = res.Charge.ID
				res.Pending = res.Charge.State == shop.ChargeAuthorizationInitiated || res.Charge.State == shop.ChargeCaptureInitiated
			}
			if ans.refund != nil {
				if res.Refund, err = a.refund(ctx, ans.refund); err != nil {
					return err
				}
				refundID = res.Refund.ID
			}
			if ans.cp != nil {
				if err := a.chargePermission(ctx, ans.cp); err != nil {
					return err
				}
			}
		} else {
			status, reason = shop.MovementFailed, string(ans.reason())
			if reason == "" {
				reason = string(amazonpay.ReasonInvalidParameterValue)
			}
			var apiErr *amazonpay.APIError
			if (m.Operation == shop.OpAuthorize || m.Operation == shop.OpAuthorizeCapture) &&
				errors.As(ans.err, &apiErr) && apiErr.Declined() && !a.otherOpenCharge("") {
				a.event(ctx, shop.OrderEvent{Kind: shop.EventDeclined}, "CreateCharge")
			}
			refusal = fromAmazon(ans.err)
		}
		// Another request resuming the same movement may have finished
		// it: then it stays as that one recorded it.
		mine := true
		switch err := tx.FinishMoneyMovement(ctx, m.ID, status, chargeID, refundID, reason); shop.ErrorCode(err) {
		case "":
		case shop.ECONFLICT:
			mine = false
		default:
			return err
		}
		for _, c := range append([]*shop.AmazonCall{ans.call}, extra...) {
			if err := tx.AppendAmazonCall(ctx, c); err != nil {
				return err
			}
		}
		if err := a.save(ctx); err != nil {
			return err
		}
		if mine {
			done := *m
			done.Status, done.ReasonCode = status, reason
			if chargeID != "" {
				done.ChargeID = chargeID
			}
			done.RefundID = refundID
			res.Movement = &done
		} else if res.Movement, err = tx.MoneyMovement(ctx, m.ID); err != nil {
			return err
		}
		res.Order, res.Payment = a.o, a.p
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		s.log.LogAttrs(ctx, slog.LevelInfo, "payments: Amazon Pay refused",
			slog.Int64("order_id", m.OrderID), slog.String("operation", string(m.Operation)), slog.String("code", AsError(refusal).Code))
		return res, refusal
	}
	return res, nil
}

// verifyRefusal looks again at the object a refused cancel, capture or
// close was about: Amazon Pay does not deduplicate DELETEs, so a resumed
// cancel of a charge that the first attempt canceled is refused although
// it succeeded. It returns a successful answer when the object shows the
// operation done, and the Get calls it made.
func (s *Service) verifyRefusal(ctx context.Context, m *shop.MoneyMovement, ans *answer) (*answer, []*shop.AmazonCall) {
	code := ans.reason()
	if code != amazonpay.ReasonInvalidChargeStatus && code != amazonpay.ReasonInvalidChargePermissionStatus {
		return nil, nil
	}
	switch m.Operation {
	case shop.OpCancel, shop.OpCapture:
		start := time.Now()
		ch, resp, err := s.client.Charges.Get(ctx, m.ChargeID)
		call := s.callRecord(m.OrderID, "GetCharge", m.ChargeID, "", resp, err, start)
		if err != nil {
			return nil, []*shop.AmazonCall{call}
		}
		done := false
		switch m.Operation {
		case shop.OpCancel:
			done = ch.State() == amazonpay.ChargeCanceled
		case shop.OpCapture:
			captured, _ := ch.CaptureAmount.MinorUnits()
			done = (ch.State() == amazonpay.ChargeCaptured || ch.State() == amazonpay.ChargeCaptureInitiated) && captured == m.Amount
		}
		if done {
			return &answer{charge: ch, call: ans.call}, []*shop.AmazonCall{call}
		}
		// Not done, but what Amazon Pay says about the charge (expired,
		// canceled) must reach the order: store it with the refusal.
		s.applyQuietly(ctx, m.OrderID, func(ctx context.Context, a *applier) error {
			_, err := a.charge(ctx, ch)
			return err
		})
		return nil, []*shop.AmazonCall{call}
	case shop.OpClose:
		p, err := s.store.Payment(ctx, m.OrderID)
		if err != nil || p.ChargePermissionID == "" {
			return nil, nil
		}
		start := time.Now()
		cp, resp, err := s.client.ChargePermissions.Get(ctx, p.ChargePermissionID)
		call := s.callRecord(m.OrderID, "GetChargePermission", p.ChargePermissionID, "", resp, err, start)
		if err == nil && cp.State() == amazonpay.ChargePermissionClosed {
			return &answer{cp: cp, call: ans.call}, []*shop.AmazonCall{call}
		}
		return nil, []*shop.AmazonCall{call}
	}
	return nil, nil
}

// applyQuietly runs fn on the locked order in its own transaction and only
// logs a failure: for state learned on the side of another operation.
func (s *Service) applyQuietly(ctx context.Context, orderID int64, fn func(ctx context.Context, a *applier) error) {
	err := s.withTx(ctx, func(tx shop.Tx) error {
		a, err := s.lock(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := fn(ctx, a); err != nil {
			return err
		}
		return a.save(ctx)
	})
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "payments: applying Amazon Pay state", slog.Int64("order_id", orderID), slog.String("err", err.Error()))
	}
}

// replay answers a request whose movement exists already: a success is
// returned as stored, a refusal as stored, and a pending one is resumed.
func (s *Service) replay(ctx context.Context, m *shop.MoneyMovement, co callOpts) (*Result, error) {
	switch m.Status {
	case shop.MovementPending:
		return s.exec(ctx, m, nil, co)
	case shop.MovementFailed:
		code := amazonpay.ReasonCode(m.ReasonCode)
		return nil, amazonError(code, "Amazon Pay refused this %s earlier (%s); the request was not repeated.", m.Operation, code)
	}
	o, err := s.store.Order(ctx, m.OrderID)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Payment(ctx, m.OrderID)
	if err != nil {
		return nil, err
	}
	res := &Result{Operation: m.Operation, Order: o, Payment: p, Movement: m, Replayed: true,
		Charge: chargeOf(p, m.ChargeID), Refund: refundOf(p, m.RefundID)}
	if res.Charge != nil {
		res.Pending = res.Charge.State == shop.ChargeAuthorizationInitiated || res.Charge.State == shop.ChargeCaptureInitiated
	}
	return res, nil
}

// waitIdle waits until order id has no pending movement older than the
// resume threshold... or until BusyWait has passed. It returns a pending
// movement that looks abandoned (older than ResumeAfter), which the caller
// may resume, or nil when the order is idle.
func (s *Service) waitIdle(ctx context.Context, orderID int64) (*shop.MoneyMovement, error) {
	if s.cfg.BusyWait < 0 {
		return nil, nil
	}
	deadline := time.Now().Add(s.cfg.BusyWait)
	delay := 10 * time.Millisecond
	for {
		ms, err := s.store.MoneyMovements(ctx, orderID)
		if err != nil {
			return nil, err
		}
		var pending *shop.MoneyMovement
		for _, m := range ms {
			if m.Status == shop.MovementPending {
				pending = m
			}
		}
		if pending == nil {
			return nil, nil
		}
		if s.now().Sub(pending.UpdatedAt) > s.cfg.ResumeAfter {
			return pending, nil
		}
		if time.Now().After(deadline) {
			return nil, errBusyTimeout
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

var errBusyTimeout = errors.New("payments: order still busy")
