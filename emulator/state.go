package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"reflect"
	"time"
)

// Environment is Sandbox or Live, as Amazon writes releaseEnvironment.
type Environment string

// The two environments.
const (
	Sandbox Environment = "Sandbox"
	Live    Environment = "Live"
)

// Owner scopes an object to the merchant and environment that created it:
// another merchant, or the same merchant in the other environment, gets 404.
type Owner struct {
	MerchantID string      `json:"merchantId"`
	Env        Environment `json:"env"`
}

// owner returns the object's owner; embedding Owner gives every object the
// method find needs.
func (o Owner) owner() Owner { return o }

type owned interface{ owner() Owner }

// find looks an object up by id and checks that the caller owns it. kind names
// the resource in the 404 message ("Charge").
func find[T owned](m map[string]T, kind, id string, r *request) (T, *apiError) {
	obj, found := m[id]
	if !found || obj.owner() != r.Owner {
		var zero T
		return zero, errNotFound(kind, id)
	}
	return obj, nil
}

// state is everything the emulator remembers. It is guarded by Server.mu and
// persisted as one JSON document (persist.go), so every field is exported
// with a json tag. Engineers adding a resource add one map here and
// initialise it in newState.
type state struct {
	CheckoutSessions  map[string]*CheckoutSession  `json:"checkoutSessions"`
	ChargePermissions map[string]*ChargePermission `json:"chargePermissions"`
	Charges           map[string]*Charge           `json:"charges"`
	Refunds           map[string]*Refund           `json:"refunds"`
	BuyerTokens       map[string]*BuyerToken       `json:"buyerTokens"`

	// Secondary resources, each described in its own file.
	UsedTrackingCodes   map[string]bool                `json:"usedTrackingCodes"` // delivery_tracker.go
	AuthorizationTokens map[string]*AuthorizationToken `json:"authorizationTokens"`
	InStoreScans        map[string]*InStoreScan        `json:"inStoreScans"` // in_store.go
	InStoreCharges      map[string]*InStoreCharge      `json:"inStoreCharges"`
	InStoreRefunds      map[string]*InStoreRefund      `json:"inStoreRefunds"`
	InStoreRefs         map[string]bool                `json:"inStoreRefs"`
	Reports             map[string]*Report             `json:"reports"` // report.go
	ReportDocuments     map[string]*ReportDocument     `json:"reportDocuments"`
	ReportSchedules     map[string]*ReportSchedule     `json:"reportSchedules"`
	MerchantAccounts    map[string]*MerchantAccount    `json:"merchantAccounts"`
	Disputes            map[string]*Dispute            `json:"disputes"`
	Files               map[string]*File               `json:"files"`

	// Idempotency holds stored responses by merchant, environment and key.
	Idempotency map[string]*idemRecord `json:"idempotency"`

	// Notifications is every notification queued, oldest first.
	Notifications []*Notification `json:"notifications"`

	// Seq numbers notifications and order references.
	Seq int64 `json:"seq"`
}

// newState returns an empty state with every map made.
func newState() *state {
	return &state{
		CheckoutSessions:  map[string]*CheckoutSession{},
		ChargePermissions: map[string]*ChargePermission{},
		Charges:           map[string]*Charge{},
		Refunds:           map[string]*Refund{},
		BuyerTokens:       map[string]*BuyerToken{},

		UsedTrackingCodes:   map[string]bool{},
		AuthorizationTokens: map[string]*AuthorizationToken{},
		InStoreScans:        map[string]*InStoreScan{},
		InStoreCharges:      map[string]*InStoreCharge{},
		InStoreRefunds:      map[string]*InStoreRefund{},
		InStoreRefs:         map[string]bool{},
		Reports:             map[string]*Report{},
		ReportDocuments:     map[string]*ReportDocument{},
		ReportSchedules:     map[string]*ReportSchedule{},
		MerchantAccounts:    map[string]*MerchantAccount{},
		Disputes:            map[string]*Dispute{},
		Files:               map[string]*File{},
		Idempotency:         map[string]*idemRecord{},
	}
}

// newUUID returns a random version 4 UUID (checkout session ids, request ids).
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randDigits returns n random decimal digits.
func randDigits(n int) string {
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, _ := rand.Int(rand.Reader, max)
	return fmt.Sprintf("%0*d", n, v)
}

// newOrderRef returns an order reference in Amazon's shape: S01-1234567-1234567
// in sandbox, P01-… in live, C01-… for a recurring charge permission. The
// caller checks uniqueness against its map.
func newOrderRef(env Environment, recurring bool) string {
	prefix := "P01"
	if env == Sandbox {
		prefix = "S01"
	}
	if recurring {
		prefix = "C01"
	}
	return prefix + "-" + randDigits(7) + "-" + randDigits(7)
}

// wireTimeLayout is Amazon's timestamp format, yyyyMMddTHHmmssZ.
const wireTimeLayout = "20060102T150405Z"

// wireTime formats t as Amazon does; the zero time is null.
func wireTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(wireTimeLayout)
	return &s
}

// strp returns a pointer to s, or nil for "" (Amazon's null).
func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fillNilMaps sets every nil map field of loaded to the fresh state's (empty)
// map, so a state file written before a resource existed still loads.
func fillNilMaps(loaded, fresh *state) {
	lv, fv := reflect.ValueOf(loaded).Elem(), reflect.ValueOf(fresh).Elem()
	for i := range lv.NumField() {
		f := lv.Field(i)
		if f.Kind() == reflect.Map && f.IsNil() && f.CanSet() {
			f.Set(fv.Field(i))
		}
	}
}
