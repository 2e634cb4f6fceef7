package app

import (
	"context"
	"time"

	"github.com/apaykit/apaykit/amazonpay/notification"
	"github.com/apaykit/apaykit/shop/payments"
	"github.com/apaykit/apaykit/shop/restapi"
)

// mountPayments adds the back office's money movement: the payments
// service, the REST API under /api/v1 with its API keys (APAY_API_KEYS),
// the Amazon Pay notification endpoint, the order pages under
// /admin/orders, and the reconciler of pending payments.
func (a *App) mountPayments(ctx context.Context, cfg Config) error {
	pay, err := payments.New(payments.Config{Store: a.Store, Client: a.Client, Logger: a.Logger, MerchantID: cfg.MerchantID})
	if err != nil {
		return err
	}
	if err := restapi.ImportAPIKeys(ctx, a.Store, cfg.APIKeys, a.Logger); err != nil {
		return err
	}
	v := cfg.Notifications
	if v == nil {
		if v, err = restapi.NotificationVerifier("", ""); err != nil {
			return err
		}
	}
	api, err := restapi.New(restapi.Config{Payments: pay, Notifications: v, Logger: a.Logger,
		AfterNotification: a.afterNotification})
	if err != nil {
		return err
	}
	a.Payments, a.API = pay, api
	a.Handle(restapi.Prefix+"/", api.Handler())
	a.Handle("POST "+restapi.NotificationPath, api.Handler())
	a.Web.MountOrders(pay)
	every := cfg.PaymentsReconcileInterval
	if every == 0 {
		every = time.Minute
	}
	if every > 0 {
		a.AddJob("reconcile-payments", every, func(ctx context.Context) error {
			_, err := pay.Reconcile(ctx)
			return err
		})
	}
	return nil
}

// afterNotification wakes a subscription job waiting on the charge a
// notification names (mounted later than the payments, hence looked up at
// call time).
func (a *App) afterNotification(ctx context.Context, n *notification.Notification) error {
	if a.Subscriptions == nil || n.ObjectType != notification.ObjectTypeCharge {
		return nil
	}
	_, err := a.Subscriptions.WakePending(ctx, n.ObjectID)
	return err
}
