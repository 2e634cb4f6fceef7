package emulator

import (
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"strings"
	"time"
)

// BuyerToken is what the Sign-In button flow hands the merchant
// (signInReturnUrl?buyerToken=…); Get Buyer exchanges it for the buyer.
// Tokens come from the control API, which knows no merchant, so they are
// not scoped to one; they expire after 24 hours (Amazon does not document a
// lifetime).
type BuyerToken struct {
	Token           string    `json:"token"`
	Buyer           BuyerInfo `json:"buyer"`
	PostalCode      string    `json:"postalCode"`
	CountryCode     string    `json:"countryCode"`
	ShippingAddress *Address  `json:"shippingAddress"`
	BillingAddress  *Address  `json:"billingAddress"`
	Expires         time.Time `json:"expires"`
}

const buyerTokenLifetime = 24 * time.Hour

// buyerID derives a stable Amazon-shaped buyer id from an email, so one
// test buyer is one buyer across sessions.
func buyerID(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "amzn1.account." + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:28]
}

// Default sandbox buyer and addresses (the ones Amazon's sandbox captures
// show), per region of the currency.
const defaultBuyerEmail = "buyer@example.com"

func defaultAddresses(ccy string) (shipping, billing Address) {
	switch ccy {
	case "JPY":
		return Address{Name: "山田 太郎", AddressLine1: "目黒区下目黒1-8-1", City: "東京都", StateOrRegion: "東京都", PostalCode: "153-0064", CountryCode: "JP", PhoneNumber: "03-0000-0000"},
			Address{Name: "山田 太郎", AddressLine1: "目黒区下目黒1-8-1", City: "東京都", StateOrRegion: "東京都", PostalCode: "153-0064", CountryCode: "JP", PhoneNumber: "03-0000-0000"}
	case "EUR":
		return Address{Name: "Erika Mustermann", AddressLine1: "Marcel-Breuer-Str. 12", City: "München", PostalCode: "80807", CountryCode: "DE", PhoneNumber: "089000000"},
			Address{Name: "Erika Mustermann", AddressLine1: "Marcel-Breuer-Str. 12", City: "München", PostalCode: "80807", CountryCode: "DE", PhoneNumber: "089000000"}
	case "GBP":
		return Address{Name: "Jane Smith", AddressLine1: "1 Principal Place", City: "London", PostalCode: "EC2A 2FA", CountryCode: "GB", PhoneNumber: "02000000000"},
			Address{Name: "Jane Smith", AddressLine1: "1 Principal Place", City: "London", PostalCode: "EC2A 2FA", CountryCode: "GB", PhoneNumber: "02000000000"}
	}
	return Address{Name: "Susie Smith", AddressLine1: "10 Ditka Ave", AddressLine2: "Suite 2500", City: "Chicago", StateOrRegion: "IL", PostalCode: "60602", CountryCode: "US", PhoneNumber: "800-000-0000"},
		Address{Name: "Christopher C. Conn", AddressLine1: "4996 Rockford Mountain Lane", City: "Appleton", StateOrRegion: "WI", PostalCode: "54911", CountryCode: "US", PhoneNumber: "1234567890"}
}

// newBuyer makes the buyer for an email (default the sandbox buyer).
func newBuyer(email, name string) BuyerInfo {
	if email == "" {
		email = defaultBuyerEmail
	}
	if name == "" {
		name = "Test Buyer SBX"
	}
	return BuyerInfo{BuyerID: buyerID(email), Name: name, Email: email, PhoneNumber: "800-000-0000"}
}

type buyerResponseWire struct {
	BuyerID              string       `json:"buyerId"`
	Name                 *string      `json:"name"`
	Email                *string      `json:"email"`
	PostalCode           *string      `json:"postalCode"`
	CountryCode          *string      `json:"countryCode"`
	PhoneNumber          *string      `json:"phoneNumber"`
	ShippingAddress      *addressWire `json:"shippingAddress"`
	BillingAddress       *addressWire `json:"billingAddress"`
	PrimeMembershipTypes any          `json:"primeMembershipTypes"`
}

func (t *BuyerToken) wire() buyerResponseWire {
	return buyerResponseWire{BuyerID: t.Buyer.BuyerID, Name: strp(t.Buyer.Name), Email: strp(t.Buyer.Email),
		PostalCode: strp(t.PostalCode), CountryCode: strp(t.CountryCode), PhoneNumber: strp(t.Buyer.PhoneNumber),
		ShippingAddress: t.ShippingAddress.wire(), BillingAddress: t.BillingAddress.wire()}
}

func (s *Server) getBuyer(r *request) response {
	tok := r.PathValue("buyerToken")
	t := s.st.BuyerTokens[tok]
	if t == nil || !r.Now.Before(t.Expires) {
		return fail(errNotFound("Buyer", truncate(tok, 64)))
	}
	return ok(http.StatusOK, t.wire())
}
