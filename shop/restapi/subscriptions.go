package restapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/apaykit/apaykit/shop"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/subscriptions"
)

// Subscription is a subscription as the REST API shows it: the plan, where
// it stands, and the Recurring charge permission it is charged on.
type Subscription struct {
	ID                 int64     `json:"id"`
	Status             string    `json:"status"`
	ProductID          int64     `json:"product_id"`
	Currency           string    `json:"currency"`
	Amount             string    `json:"amount"`
	PeriodUnit         string    `json:"period_unit"`
	PeriodCount        int       `json:"period_count"`
	TrialDays          int       `json:"trial_days"`
	ChargePermissionID string    `json:"charge_permission_id"`
	PeriodsPaid        int       `json:"periods_paid"`
	CurrentPeriodStart time.Time `json:"current_period_start"`
	CurrentPeriodEnd   time.Time `json:"current_period_end"`
	// NextRenewalAt is null when nothing is scheduled (suspended,
	// canceled).
	NextRenewalAt   *time.Time `json:"next_renewal_at"`
	DunningAttempts int        `json:"dunning_attempts"`
	CanceledAt      *time.Time `json:"canceled_at"`
	BuyerEmail      string     `json:"buyer_email"`
	BuyerName       string     `json:"buyer_name"`
	// MonthlyUsage is what the charge permission was charged this
	// calendar month (UTC), against MonthlyLimit.
	MonthlyUsage string    `json:"monthly_usage"`
	MonthlyLimit string    `json:"monthly_limit"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
}

// NewSubscription renders s with its usage of the current month.
func NewSubscription(s *shop.Subscription, usage int64) Subscription {
	out := Subscription{
		ID: s.ID, Status: string(s.Status), ProductID: s.ProductID, Currency: s.Currency,
		Amount: fmtAmount(s.Plan.Amount, s.Currency), PeriodUnit: string(s.Plan.Unit), PeriodCount: s.Plan.Count,
		TrialDays: s.Plan.TrialDays, ChargePermissionID: s.ChargePermissionID, PeriodsPaid: s.PeriodsPaid,
		CurrentPeriodStart: s.CurrentPeriodStart, CurrentPeriodEnd: s.CurrentPeriodEnd, DunningAttempts: s.DunningAttempts,
		BuyerEmail: s.BuyerEmail, BuyerName: s.BuyerName, MonthlyUsage: fmtAmount(usage, s.Currency),
		MonthlyLimit: fmtAmount(shop.RecurringMonthlyLimit(s.Currency), s.Currency),
		CreatedAt:    s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
	}
	if !s.NextRenewalAt.IsZero() {
		t := s.NextRenewalAt
		out.NextRenewalAt = &t
	}
	if !s.CanceledAt.IsZero() {
		t := s.CanceledAt
		out.CanceledAt = &t
	}
	return out
}

// SubscriptionList is the answer of GET /api/v1/subscriptions/due.
type SubscriptionList struct {
	Subscriptions []Subscription `json:"subscriptions"`
}

// RenewalRun is the answer of POST /api/v1/subscriptions/renewals.
type RenewalRun struct {
	Due     int `json:"due"`
	Created int `json:"created"`
}

// RegisterSubscriptions adds the subscription endpoints beside the order
// ones (the shop assembler calls it after New, on the same mux):
//
//	GET  /api/v1/subscriptions/due           due subscriptions (read)
//	GET  /api/v1/subscriptions/{id}          one subscription (read)
//	POST /api/v1/subscriptions/{id}/cancel   cancel, closing the charge permission (write)
//	POST /api/v1/subscriptions/{id}/resume   resume a suspended one (write)
//	POST /api/v1/subscriptions/{id}/plan     {"product_id": N}: upgrade or downgrade (write)
//	POST /api/v1/subscriptions/renewals      enqueue the due renewals (write)
//
// Amazon Pay calls happen in jobs, so these answer at once and are safe to
// repeat; cancel of a canceled subscription answers 409.
func (a *API) RegisterSubscriptions(mux *http.ServeMux, svc *subscriptions.Service) {
	s := &subscriptionAPI{a: a, svc: svc}
	mux.Handle("GET "+Prefix+"/subscriptions/due", a.auth(shop.ScopeRead, http.HandlerFunc(s.due)))
	mux.Handle("GET "+Prefix+"/subscriptions/{id}", a.auth(shop.ScopeRead, http.HandlerFunc(s.get)))
	mux.Handle("POST "+Prefix+"/subscriptions/{id}/cancel", a.auth(shop.ScopeWrite, http.HandlerFunc(s.cancel)))
	mux.Handle("POST "+Prefix+"/subscriptions/{id}/resume", a.auth(shop.ScopeWrite, http.HandlerFunc(s.resume)))
	mux.Handle("POST "+Prefix+"/subscriptions/{id}/plan", a.auth(shop.ScopeWrite, http.HandlerFunc(s.plan)))
	mux.Handle("POST "+Prefix+"/subscriptions/renewals", a.auth(shop.ScopeWrite, http.HandlerFunc(s.renewals)))
}

type subscriptionAPI struct {
	a   *API
	svc *subscriptions.Service
}

func (s *subscriptionAPI) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, badRequest("InvalidParameterValue", "The subscription id must be a positive integer."))
		return 0, false
	}
	return id, true
}

func (s *subscriptionAPI) write(w http.ResponseWriter, r *http.Request, sub *shop.Subscription, err error) {
	if err != nil {
		if shop.ErrorCode(err) == shop.ENOTFOUND {
			writeError(w, &payments.Error{Status: http.StatusNotFound, Code: "subscription_not_found", Message: shop.ErrorMessage(err)})
			return
		}
		writeError(w, err)
		return
	}
	used, _, err := s.svc.MonthlyUsage(r.Context(), sub)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, NewSubscription(sub, used))
}

func (s *subscriptionAPI) get(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.id(w, r); ok {
		sub, err := s.a.store.Subscription(r.Context(), id)
		s.write(w, r, sub, err)
	}
}

func (s *subscriptionAPI) cancel(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.id(w, r); ok {
		sub, err := s.svc.Cancel(r.Context(), id, true)
		s.write(w, r, sub, err)
	}
}

func (s *subscriptionAPI) resume(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.id(w, r); ok {
		sub, err := s.svc.Resume(r.Context(), id)
		s.write(w, r, sub, err)
	}
}

func (s *subscriptionAPI) plan(w http.ResponseWriter, r *http.Request) {
	id, ok := s.id(w, r)
	if !ok {
		return
	}
	var in struct {
		ProductID int64 `json:"product_id"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.ProductID <= 0 {
		writeError(w, badRequest("InvalidRequestFormat", `The body must be {"product_id": <positive integer>}.`))
		return
	}
	sub, err := s.svc.ChangePlan(r.Context(), id, in.ProductID)
	s.write(w, r, sub, err)
}

func (s *subscriptionAPI) due(w http.ResponseWriter, r *http.Request) {
	subs, err := s.svc.Due(r.Context(), 1000)
	if err != nil {
		writeError(w, err)
		return
	}
	out := SubscriptionList{Subscriptions: []Subscription{}}
	for _, sub := range subs {
		used, _, err := s.svc.MonthlyUsage(r.Context(), sub)
		if err != nil {
			writeError(w, err)
			return
		}
		out.Subscriptions = append(out.Subscriptions, NewSubscription(sub, used))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *subscriptionAPI) renewals(w http.ResponseWriter, r *http.Request) {
	due, created, err := s.svc.EnqueueDue(r.Context(), 1000)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, RenewalRun{Due: due, Created: created})
}
