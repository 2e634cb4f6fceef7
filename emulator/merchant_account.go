package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Merchant accounts, for solution providers. Two API families share the
// paths:
//
//   - Merchant Onboarding (Register / Update / Delete Amazon Pay Account)
//     creates non-loginable accounts from a small body: uniqueReferenceId,
//     ledgerCurrency, businessInfo (type, country, legal name, address) and
//     primaryContactPerson.
//   - Account Management (Create / Update / Claim Merchant Account) creates
//     loginable accounts from a larger body that adds contact and KYC details
//     (businessInfo.email, beneficiaryOwners, integrationInfo, stores,
//     merchantStatus, …); Claim answers 303 with a Location to continue at.
//
// POST /v2/merchantAccounts is Register when the body uses only the
// onboarding fields and Create otherwise (any account-management field
// makes it Create, and the body is then validated as Create). PATCH
// /v2/merchantAccounts/{id} is UpdateAmazonPayAccount for an account made by
// Register and UpdateMerchantAccount for one made by Create: the account
// decides, and the body is validated against that family's fields.

// Account kinds.
const (
	accountOnboarding = "onboarding" // Register Amazon Pay Account
	accountManaged    = "managed"    // Create Merchant Account
)

// businessTypes are the legal forms an account may have.
var businessTypes = []string{"CORPORATE", "INDIVIDUAL"}

// MerchantAccount is an account a solution provider created.
type MerchantAccount struct {
	Owner
	MerchantAccountID string          `json:"merchantAccountId"`
	Kind              string          `json:"kind"`
	UniqueReferenceID string          `json:"uniqueReferenceId"`
	LedgerCurrency    string          `json:"ledgerCurrency"`
	Details           json.RawMessage `json:"details"` // the validated body, as sent
	ClaimRequested    time.Time       `json:"claimRequested"`
	Created           time.Time       `json:"created"`
	Updated           time.Time       `json:"updated"`
}

// addressIn is an address in an account body.
type addressIn struct {
	AddressLine1  *string  `json:"addressLine1"`
	AddressLine2  *string  `json:"addressLine2"`
	City          *string  `json:"city"`
	StateOrRegion *string  `json:"stateOrRegion"`
	PostalCode    *string  `json:"postalCode"`
	CountryCode   *string  `json:"countryCode"`
	PhoneNumber   *phoneIn `json:"phoneNumber"`
}

// phoneIn is a phone number with its country calling code.
type phoneIn struct {
	CountryCode *string `json:"countryCode"`
	Number      *string `json:"number"`
	Extension   *string `json:"extension"`
}

// personIn is a contact person or beneficial owner.
type personIn struct {
	PersonFullName     *string    `json:"personFullName"`
	ResidentialAddress *addressIn `json:"residentialAddress"`
	DateOfBirth        *string    `json:"dateOfBirth"`
}

// onboardingBusinessInfoIn is businessInfo as onboarding knows it.
type onboardingBusinessInfoIn struct {
	BusinessType           *string    `json:"businessType"`
	CountryOfEstablishment *string    `json:"countryOfEstablishment"`
	BusinessLegalName      *string    `json:"businessLegalName"`
	BusinessAddress        *addressIn `json:"businessAddress"`
}

// managedBusinessInfoIn is businessInfo as account management knows it.
type managedBusinessInfoIn struct {
	onboardingBusinessInfoIn
	Email                      *string  `json:"email"`
	BusinessCategory           *string  `json:"businessCategory"`
	BusinessDisplayName        *string  `json:"businessDisplayName"`
	AnnualSalesVolume          *priceIn `json:"annualSalesVolume"`
	CustomerSupportInformation *struct {
		CustomerSupportEmail       *string  `json:"customerSupportEmail"`
		CustomerSupportPhoneNumber *phoneIn `json:"customerSupportPhoneNumber"`
	} `json:"customerSupportInformation"`
}

// registerAccountIn is the Register Amazon Pay Account body: the account's
// identity and the fields Update Amazon Pay Account may change.
type registerAccountIn struct {
	UniqueReferenceID *string `json:"uniqueReferenceId"`
	LedgerCurrency    *string `json:"ledgerCurrency"`
	updateOnboardingAccountIn
}

// updateOnboardingAccountIn is the Update Amazon Pay Account body.
type updateOnboardingAccountIn struct {
	BusinessInfo         *onboardingBusinessInfoIn `json:"businessInfo"`
	PrimaryContactPerson *personIn                 `json:"primaryContactPerson"`
}

// storeIn is one store of a managed account.
type storeIn struct {
	DomainURLs       []string         `json:"domainUrls"`
	StoreName        *string          `json:"storeName"`
	PrivacyPolicyURL *string          `json:"privacyPolicyUrl"`
	StoreStatus      *accountStatusIn `json:"storeStatus"`
}

// accountStatusIn is storeStatus / merchantStatus.
type accountStatusIn struct {
	StatusProvider *string `json:"statusProvider"`
	State          *string `json:"state"`
	ReasonCode     *string `json:"reasonCode"`
}

// createAccountIn is the Create Merchant Account body: the account's
// identity and the fields Update Merchant Account may change.
type createAccountIn struct {
	UniqueReferenceID *string `json:"uniqueReferenceId"`
	LedgerCurrency    *string `json:"ledgerCurrency"`
	updateManagedAccountIn
}

// updateManagedAccountIn is the Update Merchant Account body.
type updateManagedAccountIn struct {
	BusinessInfo         *managedBusinessInfoIn `json:"businessInfo"`
	BeneficiaryOwners    []personIn             `json:"beneficiaryOwners"`
	PrimaryContactPerson *personIn              `json:"primaryContactPerson"`
	IntegrationInfo      *struct {
		IPNEndpointURLs []string `json:"ipnEndpointUrls"`
	} `json:"integrationInfo"`
	Stores         []storeIn        `json:"stores"`
	MerchantStatus *accountStatusIn `json:"merchantStatus"`
}

// claimAccountIn is the Claim Merchant Account body.
type claimAccountIn struct {
	UniqueReferenceID *string `json:"uniqueReferenceId"`
}

// isRegisterBody reports whether a POST /v2/merchantAccounts body uses only
// the onboarding fields (then it is RegisterAmazonPayAccount).
func isRegisterBody(body []byte) bool {
	var v registerAccountIn
	return decodeStrict(body, &v) == nil
}

var (
	emailRe     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneNumRe  = regexp.MustCompile(`^[0-9]{1,20}$`)
	callingCode = regexp.MustCompile(`^[0-9]{1,4}$`)
)

const maxAccountTextLen = 256

// checkText checks an optional free-text field's length.
func checkText(p *string, field string) *apiError {
	if p != nil && len(*p) > maxAccountTextLen {
		return errInvalidValue(field, truncate(*p, 32))
	}
	return nil
}

// absent is the verdict on an object the body left out: missing when the
// object is required, fine otherwise.
func absent(field string, required bool) *apiError {
	if required {
		return errMissing(field)
	}
	return nil
}

// validateAddress checks an address; required says whether the address
// lines that identify a place must be present.
func validateAddress(a *addressIn, field string, required bool) *apiError {
	if a == nil {
		return absent(field, required)
	}
	if required {
		for _, f := range []struct {
			p    *string
			name string
		}{{a.AddressLine1, "addressLine1"}, {a.City, "city"}, {a.PostalCode, "postalCode"}, {a.CountryCode, "countryCode"}} {
			if deref(f.p) == "" {
				return errMissing(field + "." + f.name)
			}
		}
	}
	if a.CountryCode != nil && !countryCodeRe.MatchString(*a.CountryCode) {
		return errInvalidValue(field+".countryCode", truncate(*a.CountryCode, 32))
	}
	for _, f := range []struct {
		p    *string
		name string
	}{{a.AddressLine1, "addressLine1"}, {a.AddressLine2, "addressLine2"}, {a.City, "city"}, {a.StateOrRegion, "stateOrRegion"}, {a.PostalCode, "postalCode"}} {
		if err := checkText(f.p, field+"."+f.name); err != nil {
			return err
		}
	}
	return validatePhone(a.PhoneNumber, field+".phoneNumber")
}

// validatePhone checks an optional phone number.
func validatePhone(p *phoneIn, field string) *apiError {
	if p == nil {
		return nil
	}
	if deref(p.CountryCode) == "" {
		return errMissing(field + ".countryCode")
	}
	if !callingCode.MatchString(*p.CountryCode) {
		return errInvalidValue(field+".countryCode", truncate(*p.CountryCode, 32))
	}
	if deref(p.Number) == "" {
		return errMissing(field + ".number")
	}
	if !phoneNumRe.MatchString(*p.Number) {
		return errInvalidValue(field+".number", truncate(*p.Number, 32))
	}
	if p.Extension != nil && *p.Extension != "" && !phoneNumRe.MatchString(*p.Extension) {
		return errInvalidValue(field+".extension", truncate(*p.Extension, 32))
	}
	return nil
}

// validatePerson checks a person; required says whether the name must be
// present.
func validatePerson(p *personIn, field string, required bool) *apiError {
	if p == nil {
		return absent(field, required)
	}
	if deref(p.PersonFullName) == "" {
		return errMissing(field + ".personFullName")
	}
	if err := checkText(p.PersonFullName, field+".personFullName"); err != nil {
		return err
	}
	if p.DateOfBirth != nil && *p.DateOfBirth != "" {
		if _, err := parseDateOfBirth(*p.DateOfBirth); err != nil {
			return errInvalidValue(field+".dateOfBirth", truncate(*p.DateOfBirth, 32))
		}
	}
	return validateAddress(p.ResidentialAddress, field+".residentialAddress", false)
}

// parseDateOfBirth accepts yyyyMMdd and yyyy-MM-dd.
func parseDateOfBirth(s string) (time.Time, error) {
	t, err := time.Parse("20060102", s)
	if err != nil {
		t, err = time.Parse("2006-01-02", s)
	}
	return t, err
}

// validateOnboardingBusinessInfo checks businessInfo's onboarding part;
// create says whether the fields that identify the business are required.
func validateOnboardingBusinessInfo(b *onboardingBusinessInfoIn, create bool) *apiError {
	if b == nil {
		return absent("businessInfo", create)
	}
	if t := deref(b.BusinessType); t != "" || create {
		if t == "" {
			return errMissing("businessInfo.businessType")
		}
		if !isOneOf(t, businessTypes) {
			return errInvalidValue("businessInfo.businessType", truncate(t, 32))
		}
	}
	if c := deref(b.CountryOfEstablishment); c != "" || create {
		if c == "" {
			return errMissing("businessInfo.countryOfEstablishment")
		}
		if !countryCodeRe.MatchString(c) {
			return errInvalidValue("businessInfo.countryOfEstablishment", truncate(c, 32))
		}
	}
	if create && deref(b.BusinessLegalName) == "" {
		return errMissing("businessInfo.businessLegalName")
	}
	if err := checkText(b.BusinessLegalName, "businessInfo.businessLegalName"); err != nil {
		return err
	}
	return validateAddress(b.BusinessAddress, "businessInfo.businessAddress", create)
}

// validateManagedBusinessInfo adds the account-management fields.
func validateManagedBusinessInfo(b *managedBusinessInfoIn, create bool) *apiError {
	if b == nil {
		return absent("businessInfo", create)
	}
	if err := validateOnboardingBusinessInfo(&b.onboardingBusinessInfoIn, create); err != nil {
		return err
	}
	if e := deref(b.Email); e != "" && !emailRe.MatchString(e) {
		return errInvalidValue("businessInfo.email", truncate(e, 64))
	} else if e == "" && create {
		return errMissing("businessInfo.email")
	}
	for _, f := range []struct {
		p    *string
		name string
	}{{b.BusinessCategory, "businessInfo.businessCategory"}, {b.BusinessDisplayName, "businessInfo.businessDisplayName"}} {
		if err := checkText(f.p, f.name); err != nil {
			return err
		}
	}
	if b.AnnualSalesVolume != nil {
		if _, err := b.AnnualSalesVolume.parse("businessInfo.annualSalesVolume"); err != nil {
			return err
		}
	}
	if c := b.CustomerSupportInformation; c != nil {
		if e := deref(c.CustomerSupportEmail); e != "" && !emailRe.MatchString(e) {
			return errInvalidValue("businessInfo.customerSupportInformation.customerSupportEmail", truncate(e, 64))
		}
		if err := validatePhone(c.CustomerSupportPhoneNumber, "businessInfo.customerSupportInformation.customerSupportPhoneNumber"); err != nil {
			return err
		}
	}
	return nil
}

// validateURLs checks a list of https URLs.
func validateURLs(urls []string, field string) *apiError {
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(raw) > 2048 {
			return errInvalidValue(field, truncate(raw, 64))
		}
	}
	return nil
}

// validateManagedExtras checks the account-management-only parts.
func validateManagedExtras(owners []personIn, ipn []string, stores []storeIn, status *accountStatusIn) *apiError {
	for i := range owners {
		if err := validatePerson(&owners[i], "beneficiaryOwners["+itoa(i)+"]", true); err != nil {
			return err
		}
	}
	if err := validateURLs(ipn, "integrationInfo.ipnEndpointUrls"); err != nil {
		return err
	}
	for i, st := range stores {
		field := "stores[" + itoa(i) + "]"
		if err := validateURLs(st.DomainURLs, field+".domainUrls"); err != nil {
			return err
		}
		if st.PrivacyPolicyURL != nil {
			if err := validateURLs([]string{*st.PrivacyPolicyURL}, field+".privacyPolicyUrl"); err != nil {
				return err
			}
		}
		if err := checkText(st.StoreName, field+".storeName"); err != nil {
			return err
		}
		if err := validateAccountStatus(st.StoreStatus, field+".storeStatus"); err != nil {
			return err
		}
	}
	return validateAccountStatus(status, "merchantStatus")
}

// accountStates are the states storeStatus and merchantStatus may report.
var accountStates = []string{"ACTIVE", "INACTIVE"}

func validateAccountStatus(st *accountStatusIn, field string) *apiError {
	if st == nil {
		return nil
	}
	if s := deref(st.State); s == "" {
		return errMissing(field + ".state")
	} else if !isOneOf(s, accountStates) {
		return errInvalidValue(field+".state", truncate(s, 32))
	}
	if err := checkText(st.StatusProvider, field+".statusProvider"); err != nil {
		return err
	}
	return checkText(st.ReasonCode, field+".reasonCode")
}

// validateRegisterAccount checks a Register body.
func validateRegisterAccount(in *registerAccountIn) (ref, currency string, err *apiError) {
	if ref, currency, err = validateAccountIdentity(in.UniqueReferenceID, in.LedgerCurrency); err != nil {
		return
	}
	err = in.validate(true)
	return
}

// validateCreateAccount checks a Create body.
func validateCreateAccount(in *createAccountIn) (ref, currency string, err *apiError) {
	if ref, currency, err = validateAccountIdentity(in.UniqueReferenceID, in.LedgerCurrency); err != nil {
		return
	}
	err = in.validate(true)
	return
}

// validateUpdateOnboarding checks an Update Amazon Pay Account body.
func validateUpdateOnboarding(in *updateOnboardingAccountIn) *apiError {
	if in.BusinessInfo == nil && in.PrimaryContactPerson == nil {
		return errMissing("businessInfo")
	}
	return in.validate(false)
}

// validateUpdateManaged checks an Update Merchant Account body.
func validateUpdateManaged(in *updateManagedAccountIn) *apiError {
	if in.BusinessInfo == nil && in.PrimaryContactPerson == nil && in.BeneficiaryOwners == nil &&
		in.IntegrationInfo == nil && in.Stores == nil && in.MerchantStatus == nil {
		return errMissing("businessInfo")
	}
	return in.validate(false)
}

// validate checks the onboarding fields of a Register (create) or Update
// Amazon Pay Account body.
func (in *updateOnboardingAccountIn) validate(create bool) *apiError {
	if err := validateOnboardingBusinessInfo(in.BusinessInfo, create); err != nil {
		return err
	}
	return validatePerson(in.PrimaryContactPerson, "primaryContactPerson", false)
}

// validate checks the account-management fields of a Create (create) or
// Update Merchant Account body; Create requires the contact person.
func (in *updateManagedAccountIn) validate(create bool) *apiError {
	if err := validateManagedBusinessInfo(in.BusinessInfo, create); err != nil {
		return err
	}
	if err := validatePerson(in.PrimaryContactPerson, "primaryContactPerson", create); err != nil {
		return err
	}
	var ipn []string
	if in.IntegrationInfo != nil {
		ipn = in.IntegrationInfo.IPNEndpointURLs
	}
	return validateManagedExtras(in.BeneficiaryOwners, ipn, in.Stores, in.MerchantStatus)
}

// validateAccountIdentity checks uniqueReferenceId and ledgerCurrency.
func validateAccountIdentity(refp, curp *string) (string, string, *apiError) {
	ref := deref(refp)
	if ref == "" {
		return "", "", errMissing("uniqueReferenceId")
	}
	if len(ref) > maxAccountTextLen {
		return "", "", errInvalidValue("uniqueReferenceId", truncate(ref, 32))
	}
	cur := deref(curp)
	if cur == "" {
		return "", "", errMissing("ledgerCurrency")
	}
	if !isOneOf(cur, ledgerCurrencies) {
		return "", "", errInvalidValue("ledgerCurrency", truncate(cur, 32))
	}
	return ref, cur, nil
}

// checkReferenceUnused rejects a second account with the same
// uniqueReferenceId for the same solution provider.
func checkReferenceUnused(accounts map[string]*MerchantAccount, o Owner, ref string) *apiError {
	for _, a := range accounts {
		if a.Owner == o && a.UniqueReferenceID == ref {
			return errorf(http.StatusBadRequest, codeInvalidParameterValue,
				"The value '%s' provided for 'uniqueReferenceId' is invalid: an account with this reference already exists (%s).", truncate(ref, 64), a.MerchantAccountID)
		}
	}
	return nil
}

// mergeDetails overlays an update body on the stored details: top-level keys
// of the update replace those stored.
func mergeDetails(stored json.RawMessage, update []byte) json.RawMessage {
	base := map[string]json.RawMessage{}
	_ = json.Unmarshal(stored, &base)
	patch := map[string]json.RawMessage{}
	_ = json.Unmarshal(update, &patch)
	for k, v := range patch {
		if string(v) == "null" {
			continue
		}
		base[k] = v
	}
	b, _ := json.Marshal(base)
	return b
}

// newMerchantAccountID returns an id in the shape of a merchant id.
func newMerchantAccountID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits := randDigits(26)
	b := []byte("A")
	for i := 0; i < 13; i++ {
		n := int(digits[2*i]-'0')*10 + int(digits[2*i+1]-'0')
		b = append(b, alphabet[n%len(alphabet)])
	}
	return string(b)
}

// claimURL is where a merchant continues claiming an account: the
// emulator's claim page (Amazon's is a Seller Central registration page).
func claimURL(baseURL, accountID string) string {
	return baseURL + "/_emulator/merchantAccounts/" + url.PathEscape(accountID) + "/claim"
}

// merchantAccountWire answers Register and Create.
type merchantAccountWire struct {
	MerchantAccountID string `json:"merchantAccountId"`
	UniqueReferenceID string `json:"uniqueReferenceId"`
}

func itoa(i int) string { return strconv.Itoa(i) }

// isOnboardingUpdateBody reports whether a PATCH body uses only the
// onboarding fields (then the operation is UpdateAmazonPayAccount). The
// handler still validates the body against the account's own family.
func isOnboardingUpdateBody(r *request) bool {
	var v updateOnboardingAccountIn
	return decodeStrict(r.Body, &v) == nil
}

// isRegisterRequest is the Match of RegisterAmazonPayAccount.
func isRegisterRequest(r *request) bool { return isRegisterBody(r.Body) }

// registerAmazonPayAccount is Register Amazon Pay Account (POST
// /v2/merchantAccounts with an onboarding body).
func (s *Server) registerAmazonPayAccount(r *request) response {
	var in registerAccountIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	ref, cur, err := validateRegisterAccount(&in)
	if err != nil {
		return fail(err)
	}
	return s.addAccount(r, accountOnboarding, ref, cur, http.StatusOK)
}

// createMerchantAccount is Create Merchant Account (POST
// /v2/merchantAccounts with an account-management body).
func (s *Server) createMerchantAccount(r *request) response {
	var in createAccountIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	ref, cur, err := validateCreateAccount(&in)
	if err != nil {
		return fail(err)
	}
	return s.addAccount(r, accountManaged, ref, cur, http.StatusCreated)
}

// addAccount stores a validated new account.
func (s *Server) addAccount(r *request, kind, ref, currency string, status int) response {
	if err := checkReferenceUnused(s.st.MerchantAccounts, r.Owner, ref); err != nil {
		return fail(err)
	}
	a := &MerchantAccount{
		Owner: r.Owner, Kind: kind, UniqueReferenceID: ref, LedgerCurrency: currency,
		Details: append(json.RawMessage(nil), r.Body...), Created: r.Now, Updated: r.Now,
	}
	a.MerchantAccountID = newMerchantAccountID()
	for s.st.MerchantAccounts[a.MerchantAccountID] != nil {
		a.MerchantAccountID = newMerchantAccountID()
	}
	s.st.MerchantAccounts[a.MerchantAccountID] = a
	return ok(status, a.wire())
}

func (a *MerchantAccount) wire() merchantAccountWire {
	return merchantAccountWire{MerchantAccountID: a.MerchantAccountID, UniqueReferenceID: a.UniqueReferenceID}
}

// updateAccount serves both PATCH operations: the account's family decides
// which fields the body may carry.
func (s *Server) updateAccount(r *request) response {
	a, err := find(s.st.MerchantAccounts, "MerchantAccount", r.PathValue("merchantAccountId"), r)
	if err != nil {
		return fail(err)
	}
	if a.Kind == accountOnboarding {
		var in updateOnboardingAccountIn
		if err := r.decode(&in); err != nil {
			return fail(err)
		}
		if err := validateUpdateOnboarding(&in); err != nil {
			return fail(err)
		}
	} else {
		var in updateManagedAccountIn
		if err := r.decode(&in); err != nil {
			return fail(err)
		}
		if err := validateUpdateManaged(&in); err != nil {
			return fail(err)
		}
	}
	a.Details, a.Updated = mergeDetails(a.Details, r.Body), r.Now
	return ok(http.StatusOK, a.wire())
}

// deleteAmazonPayAccount is Delete Amazon Pay Account (DELETE
// /v2/merchantAccounts/{id}); the .NET SDK sends {} as its body.
func (s *Server) deleteAmazonPayAccount(r *request) response {
	var in struct{}
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	a, err := find(s.st.MerchantAccounts, "MerchantAccount", r.PathValue("merchantAccountId"), r)
	if err != nil {
		return fail(err)
	}
	delete(s.st.MerchantAccounts, a.MerchantAccountID)
	return ok(http.StatusOK, struct{}{})
}

// claimMerchantAccount is Claim Merchant Account (POST
// /v2/merchantAccounts/{id}/claim): the body repeats the account's
// uniqueReferenceId and the answer is 303 See Other to where the merchant
// continues (the emulator's claim status document).
func (s *Server) claimMerchantAccount(r *request) response {
	a, err := find(s.st.MerchantAccounts, "MerchantAccount", r.PathValue("merchantAccountId"), r)
	if err != nil {
		return fail(err)
	}
	var in claimAccountIn
	if err := r.decode(&in); err != nil {
		return fail(err)
	}
	ref := deref(in.UniqueReferenceID)
	switch {
	case ref == "":
		return fail(errMissing("uniqueReferenceId"))
	case ref != a.UniqueReferenceID:
		return fail(errInvalidValue("uniqueReferenceId", truncate(ref, 64)))
	}
	if a.ClaimRequested.IsZero() {
		a.ClaimRequested = r.Now
	}
	loc := claimURL(r.BaseURL, a.MerchantAccountID)
	return response{status: http.StatusSeeOther, body: claimWire{RedirectURL: loc}, header: http.Header{"Location": {loc}}}
}

// claimWire is the body of the 303 (the Location, for clients that do not
// expose headers) and of the claim status document.
type claimWire struct {
	RedirectURL string `json:"redirectUrl"`
}

// getClaimStatus serves the Location of a claim: a small JSON document, so
// SDKs that follow redirects (Java, Go) end on a 200.
func (s *Server) getClaimStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.st.MerchantAccounts[r.PathValue("merchantAccountId")]
	var body any
	if a != nil && !a.ClaimRequested.IsZero() {
		body = struct {
			MerchantAccountID string  `json:"merchantAccountId"`
			ClaimStatus       string  `json:"claimStatus"`
			ClaimRequested    *string `json:"claimRequestedTimestamp"`
		}{a.MerchantAccountID, "ClaimInitiated", wireTime(a.ClaimRequested)}
	}
	s.mu.Unlock()
	if body == nil {
		writeResponse(w, fail(errorf(http.StatusNotFound, codeResourceNotFound, "No claim is in progress for this account.")))
		return
	}
	writeResponse(w, ok(http.StatusOK, body))
}
