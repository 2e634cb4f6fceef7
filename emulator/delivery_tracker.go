package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Delivery trackers: the merchant tells Amazon a shipment's carrier and
// tracking number so the buyer gets Alexa delivery notifications. The body
// names either a Checkout v2 charge permission or a v1 order reference, and
// a tracking code can only be used once.
//
// Amazon documents the operation as live-only. What its sandbox answers is
// not documented; the emulator serves it in both environments with the same
// checks (so integrations can be tested with SANDBOX- keys) and, like the
// sandbox would, sends no Alexa notification anywhere.

// Limits on delivery tracker input.
const (
	maxDeliveryDetails    = 10
	maxTrackingNumberLen  = 64
	maxCarrierCodeLen     = 50
	deliveryTrackerObject = "DeliveryTracker"
)

// orderReferenceRe matches a v1 order reference id (P01-1234567-1234567).
var orderReferenceRe = regexp.MustCompile(`^[A-Z][0-9]{2}-[0-9]{7}-[0-9]{7}$`)

// carrierCodeRe: carrier codes are upper-case identifiers (UPS, FEDEX,
// DHL_DE, JAPAN_POST…).
var carrierCodeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_\-]*$`)

// DeliveryTracker is one accepted delivery tracking request.
type DeliveryTracker struct {
	Owner
	ChargePermissionID     string           `json:"chargePermissionId"`
	AmazonOrderReferenceID string           `json:"amazonOrderReferenceId"`
	Details                []DeliveryDetail `json:"details"`
	Created                time.Time        `json:"created"`
}

// DeliveryDetail is one shipment.
type DeliveryDetail struct {
	TrackingNumber string `json:"trackingNumber"`
	CarrierCode    string `json:"carrierCode"`
}

// deliveryTrackerIn is the Delivery Trackers body.
type deliveryTrackerIn struct {
	AmazonOrderReferenceID *string            `json:"amazonOrderReferenceId"`
	ChargePermissionID     *string            `json:"chargePermissionId"`
	DeliveryDetails        []deliveryDetailIn `json:"deliveryDetails"`
}

type deliveryDetailIn struct {
	TrackingNumber *string `json:"trackingNumber"`
	CarrierCode    *string `json:"carrierCode"`
}

// validateDeliveryTracker checks a Delivery Trackers body in isolation:
// exactly one of chargePermissionId and amazonOrderReferenceId, and one to
// ten shipments, each with a tracking number and a carrier code, none
// repeated within the request.
func validateDeliveryTracker(in *deliveryTrackerIn) (DeliveryTracker, *apiError) {
	var t DeliveryTracker
	cp, ref := deref(in.ChargePermissionID), deref(in.AmazonOrderReferenceID)
	switch {
	case cp != "" && ref != "":
		return t, errorf(http.StatusBadRequest, codeInvalidParameterCombination,
			"Only one of 'chargePermissionId' and 'amazonOrderReferenceId' may be provided.")
	case cp == "" && ref == "":
		return t, errMissing("chargePermissionId")
	case ref != "" && !orderReferenceRe.MatchString(ref):
		return t, errInvalidValue("amazonOrderReferenceId", truncate(ref, 64))
	}
	t.ChargePermissionID, t.AmazonOrderReferenceID = cp, ref
	if len(in.DeliveryDetails) == 0 {
		return t, errMissing("deliveryDetails")
	}
	if len(in.DeliveryDetails) > maxDeliveryDetails {
		return t, errorf(http.StatusBadRequest, codeInvalidParameterValue,
			"At most %d deliveryDetails may be sent in one request.", maxDeliveryDetails)
	}
	seen := map[DeliveryDetail]bool{}
	for i, d := range in.DeliveryDetails {
		field := fmt.Sprintf("deliveryDetails[%d]", i)
		num, carrier := strings.TrimSpace(deref(d.TrackingNumber)), strings.TrimSpace(deref(d.CarrierCode))
		switch {
		case num == "":
			return t, errMissing(field + ".trackingNumber")
		case len(num) > maxTrackingNumberLen || strings.ContainsAny(num, " \t\r\n"):
			return t, errInvalidValue(field+".trackingNumber", truncate(num, 64))
		case carrier == "":
			return t, errMissing(field + ".carrierCode")
		case len(carrier) > maxCarrierCodeLen || !carrierCodeRe.MatchString(carrier):
			return t, errInvalidValue(field+".carrierCode", truncate(carrier, 64))
		}
		dd := DeliveryDetail{TrackingNumber: num, CarrierCode: carrier}
		if seen[dd] {
			return t, errorf(http.StatusBadRequest, codeInvalidParameterValue,
				"The tracking number '%s' appears more than once in deliveryDetails.", num)
		}
		seen[dd] = true
		t.Details = append(t.Details, dd)
	}
	return t, nil
}

// trackingKey identifies a used tracking code: per merchant and environment,
// per carrier.
func trackingKey(o Owner, d DeliveryDetail) string {
	return string(o.Env) + "|" + o.MerchantID + "|" + d.CarrierCode + "|" + d.TrackingNumber
}

// checkTrackingUnused enforces "tracking codes can only be used once".
func checkTrackingUnused(used map[string]bool, o Owner, t DeliveryTracker) *apiError {
	for _, d := range t.Details {
		if used[trackingKey(o, d)] {
			return errorf(http.StatusBadRequest, codeInvalidParameterValue,
				"The tracking number '%s' for carrier '%s' was already used; tracking codes can only be used once.", d.TrackingNumber, d.CarrierCode)
		}
	}
	return nil
}

// deliveryTrackerWire is the answer: the request echoed.
type deliveryTrackerWire struct {
	AmazonOrderReferenceID *string              `json:"amazonOrderReferenceId"`
	ChargePermissionID     *string              `json:"chargePermissionId"`
	DeliveryDetails        []deliveryDetailWire `json:"deliveryDetails"`
}

type deliveryDetailWire struct {
	TrackingNumber string `json:"trackingNumber"`
	CarrierCode    string `json:"carrierCode"`
}

func (t *DeliveryTracker) wire() deliveryTrackerWire {
	w := deliveryTrackerWire{
		AmazonOrderReferenceID: strp(t.AmazonOrderReferenceID),
		ChargePermissionID:     strp(t.ChargePermissionID),
		DeliveryDetails:        make([]deliveryDetailWire, 0, len(t.Details)),
	}
	for _, d := range t.Details {
		w.DeliveryDetails = append(w.DeliveryDetails, deliveryDetailWire(d))
	}
	return w
}

// deref returns *p or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// deliveryTrackers is Delivery Trackers (POST /v2/deliveryTrackers). A
// chargePermissionId must name one of the caller's charge permissions; a v1
// amazonOrderReferenceId is checked for its shape only (the emulator keeps
// no v1 orders).
func (s *Server) deliveryTrackers(r *request) response {
	var in deliveryTrackerIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	t, err := validateDeliveryTracker(&in)
	if err != nil {
		return fail(err)
	}
	if t.ChargePermissionID != "" {
		if _, err := find(s.st.ChargePermissions, "ChargePermission", t.ChargePermissionID, r); err != nil {
			return fail(err)
		}
	}
	if err := checkTrackingUnused(s.st.UsedTrackingCodes, r.Owner, t); err != nil {
		return fail(err)
	}
	for _, d := range t.Details {
		s.st.UsedTrackingCodes[trackingKey(r.Owner, d)] = true
	}
	return ok(http.StatusOK, t.wire())
}
