package amazonpay

import "context"

// DeliveryTrackerService sends shipment tracking to Amazon so the buyer
// gets Alexa delivery notifications (live environment, allow-listed
// merchants only).
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/delivery-tracker.html
type DeliveryTrackerService service

// DeliveryDetail is one shipment. A tracking number can be used once.
type DeliveryDetail struct {
	TrackingNumber string `json:"trackingNumber"`
	CarrierCode    string `json:"carrierCode"`
}

// DeliveryTrackerRequest names the order by Charge Permission (or, for
// v1 orders, amazonOrderReferenceId) and lists its shipments.
type DeliveryTrackerRequest struct {
	AmazonOrderReferenceID string           `json:"amazonOrderReferenceId,omitempty"`
	ChargePermissionID     string           `json:"chargePermissionId,omitempty"`
	DeliveryDetails        []DeliveryDetail `json:"deliveryDetails"`
}

// DeliveryTracker is the API's echo of the request.
type DeliveryTracker struct {
	AmazonOrderReferenceID string           `json:"amazonOrderReferenceId,omitempty"`
	ChargePermissionID     string           `json:"chargePermissionId,omitempty"`
	DeliveryDetails        []DeliveryDetail `json:"deliveryDetails,omitempty"`
}

// Create sends tracking information.
//
// Amazon Pay API docs: https://developer.amazon.com/docs/amazon-pay-api-v2/delivery-tracker.html#create-delivery-tracker
//
//amazonpay:operation POST /v2/deliveryTrackers
func (s *DeliveryTrackerService) Create(ctx context.Context, req *DeliveryTrackerRequest, opts ...RequestOption) (*DeliveryTracker, *Response, error) {
	switch {
	case req == nil:
		return nil, nil, &InputError{Field: "request", Reason: "is nil"}
	case req.ChargePermissionID == "" && req.AmazonOrderReferenceID == "":
		return nil, nil, &InputError{Field: "chargePermissionId", Reason: "is required (or amazonOrderReferenceId)"}
	case len(req.DeliveryDetails) == 0:
		return nil, nil, &InputError{Field: "deliveryDetails", Reason: "needs at least one entry"}
	}
	return callInto[DeliveryTracker](ctx, s.client, callSpec{op: "DeliveryTrackers", body: req}, opts)
}
