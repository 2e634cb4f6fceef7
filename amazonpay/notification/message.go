package notification

import "fmt"

// ObjectType names the kind of Amazon Pay object a notification is about.
// After a notification, GET that object to learn its state: the message
// carries ids only.
type ObjectType string

// List of values that ObjectType can take. Unknown values are passed through
// unchanged so a new object type does not break a handler.
const (
	ObjectTypeChargePermission ObjectType = "CHARGE_PERMISSION"
	ObjectTypeCharge           ObjectType = "CHARGE"
	ObjectTypeRefund           ObjectType = "REFUND"
	ObjectTypeChargeback       ObjectType = "CHARGEBACK"
)

// NotificationType says whether the object's state or one of its other
// attributes changed.
type NotificationType string

// List of values that NotificationType can take.
const (
	NotificationTypeStateChange     NotificationType = "STATE_CHANGE"
	NotificationTypeAttributeChange NotificationType = "ATTRIBUTE_CHANGE"
)

// NotificationVersion2 is the NotificationVersion of current notifications
// (unrelated to the API version).
const NotificationVersion2 = "V2"

// Message is the Amazon Pay notification: the JSON object inside the SNS
// envelope's Message string. It encodes with the current (v2) keys;
// [ParseMessage] also reads the lower-camel keys of the older format
// (merchantID, objectType, objectId, …).
type Message struct {
	MerchantID          string           `json:"MerchantID"`
	ObjectType          ObjectType       `json:"ObjectType"`
	ObjectID            string           `json:"ObjectId"`
	ChargePermissionID  string           `json:"ChargePermissionId,omitempty"`
	NotificationType    NotificationType `json:"NotificationType"`
	NotificationID      string           `json:"NotificationId"`
	NotificationVersion string           `json:"NotificationVersion"`
}

// Notification is a verified Amazon Pay notification: the decoded message
// plus the SNS envelope it came in (its MessageId is the natural key for
// dropping duplicates, which SNS does deliver).
type Notification struct {
	Message
	Envelope *Envelope
}

// ParseMessage decodes an Amazon Pay notification message. It needs
// ObjectType and ObjectId, the two fields a handler cannot do without; the
// rest are copied when present. It does not verify anything: the message is
// only trustworthy inside an envelope that [Verifier.Verify] accepted.
func ParseMessage(data []byte) (*Message, error) {
	fields, err := decodeObject(data)
	if err != nil {
		return nil, newError(ErrMalformed, "Message is not a JSON object", err)
	}
	var m Message
	var objectType, notificationType string
	targets := []struct {
		dst   *string
		names []string
	}{
		{&m.MerchantID, []string{"MerchantID", "merchantID", "MerchantId", "merchantId"}},
		{&objectType, []string{"ObjectType", "objectType"}},
		{&m.ObjectID, []string{"ObjectId", "objectId", "ObjectID", "objectID"}},
		{&m.ChargePermissionID, []string{"ChargePermissionId", "chargePermissionId"}},
		{&notificationType, []string{"NotificationType", "notificationType"}},
		{&m.NotificationID, []string{"NotificationId", "notificationId"}},
		{&m.NotificationVersion, []string{"NotificationVersion", "notificationVersion"}},
	}
	for _, t := range targets {
		v, _, err := stringField(fields, t.names...)
		if err != nil {
			return nil, newError(ErrMalformed, "Message: "+err.Error(), nil)
		}
		*t.dst = v
	}
	m.ObjectType, m.NotificationType = ObjectType(objectType), NotificationType(notificationType)
	switch {
	case m.ObjectType == "":
		return nil, newError(ErrMalformed, "Message: missing ObjectType", nil)
	case m.ObjectID == "":
		return nil, newError(ErrMalformed, fmt.Sprintf("Message: missing ObjectId for %s", m.ObjectType), nil)
	}
	return &m, nil
}
