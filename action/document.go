package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxDocumentSize bounds an action document. Amazon Pay request bodies are a
// few KiB; the largest (Upload File) carries a base64 file of a few MiB.
const MaxDocumentSize = 8 << 20

// Field names with a meaning of their own in every document.
const (
	fieldAction         = "action"
	fieldIdempotencyKey = "idempotencyKey"
	fieldSimulationCode = "simulationCode"
	fieldAuthToken      = "authToken"
)

// legacyNames maps the pre-v2 singular names used by the v2handlerjs
// documents to the API v2 names. Only top-level fields are renamed: that is
// where the seed documents use them.
var legacyNames = map[string]string{
	"webCheckoutDetail": "webCheckoutDetails",
	"paymentDetail":     "paymentDetails",
}

// Document is a decoded action document: the canonical action name, the
// per-call header values and the operation's own fields under their API
// names.
type Document struct {
	// Action is the operation's API name, exactly as amazonpay.Operations
	// spells it, whatever case the document used.
	Action string
	// IdempotencyKey becomes the x-amz-pay-idempotency-key header; empty
	// when the document has none (the SDK then generates one for POSTs).
	IdempotencyKey string
	// SimulationCode becomes x-amz-pay-simulation-code (sandbox only).
	SimulationCode string
	// authToken becomes x-amz-pay-authtoken, for a solution provider acting
	// for a merchant. Unexported so that printing a Document cannot leak
	// it.
	authToken string

	fields map[string]json.RawMessage
	// written maps an API field name back to the name the document used,
	// when they differ, so errors quote the document.
	written map[string]string
}

// Decode parses an action document. Errors are *Error values with status
// 400 (or 413 for an oversized document) whose message names the line and
// column of malformed JSON, or the offending field.
func Decode(data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, &Error{Status: 413, ReasonCode: ReasonRequestTooLarge,
			Message: fmt.Sprintf("the document is %d bytes; the limit is %d", len(data), MaxDocumentSize)}
	}
	fields, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	doc := &Document{fields: fields}
	if err := doc.takeAction(); err != nil {
		return nil, err
	}
	if doc.IdempotencyKey, err = doc.takeString(fieldIdempotencyKey); err != nil {
		return nil, err
	}
	if doc.IdempotencyKey != "" {
		if err := validIdempotencyKey(doc.IdempotencyKey); err != nil {
			return nil, err
		}
	}
	if doc.SimulationCode, err = doc.takeString(fieldSimulationCode); err != nil {
		return nil, err
	}
	if doc.authToken, err = doc.takeString(fieldAuthToken); err != nil {
		return nil, err
	}
	if err := doc.renameLegacy(); err != nil {
		return nil, err
	}
	return doc, nil
}

// decodeObject parses the top level into raw fields, with syntax errors
// located by line and column and duplicate keys refused (a document that
// says "action" twice means two different things to two parsers).
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	if len(trimSpace(data)) == 0 {
		return nil, badRequest(ReasonInvalidRequestFormat, "the document is empty; send a JSON object with an \"action\" field")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, syntaxError(data, err)
	}
	if fields == nil { // the document was the literal null
		return nil, badRequest(ReasonInvalidRequestFormat, "the document must be a JSON object, got null")
	}
	if err := checkDuplicateKeys(data, len(fields)); err != nil {
		return nil, err
	}
	return fields, nil
}

// syntaxError turns encoding/json's errors into a 400 that points at the
// offending character.
func syntaxError(data []byte, err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// For an invalid character Offset counts that character; for a
		// premature end it is len(data).
		pos := int(se.Offset)
		if strings.HasPrefix(se.Error(), "invalid character") {
			pos--
		}
		pos = max(0, min(pos, len(data)))
		line, col := position(data, pos)
		msg := fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, se.Error())
		if near := nearText(data, pos); near != "" {
			msg += fmt.Sprintf(" (near %q)", near)
		}
		return badRequest(ReasonInvalidRequestFormat, "%s", msg)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return badRequest(ReasonInvalidRequestFormat, "the document must be a JSON object, got %s", jsonKind(data))
	}
	return badRequest(ReasonInvalidRequestFormat, "malformed JSON: %v", err)
}

// position converts a byte offset into a 1-based line and column; the column
// counts characters, not bytes.
func position(data []byte, pos int) (line, col int) {
	before := data[:pos]
	line = 1 + bytes.Count(before, []byte("\n"))
	start := bytes.LastIndexByte(before, '\n') + 1
	col = 1 + utf8.RuneCount(before[start:])
	return line, col
}

// nearText is the rest of the offending line, shortened, so the user sees
// what the parser tripped on (for example `default is false`).
func nearText(data []byte, pos int) string {
	if pos >= len(data) {
		return ""
	}
	rest := data[pos:]
	if i := bytes.IndexAny(rest, "\r\n"); i >= 0 {
		rest = rest[:i]
	}
	s := strings.TrimSpace(string(rest))
	if !utf8.ValidString(s) {
		return ""
	}
	if utf8.RuneCountInString(s) > 30 {
		s = string([]rune(s)[:30]) + "…"
	}
	return s
}

// checkDuplicateKeys walks the top-level keys of a syntactically valid
// document; a count that differs from the map's means a key repeats.
func checkDuplicateKeys(data []byte, unique int) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // '{'
		return nil
	}
	seen := make(map[string]bool, unique)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if seen[key] {
			line, col := position(data, int(dec.InputOffset()))
			return badRequest(ReasonInvalidRequestFormat, "field %q appears more than once (again at line %d, column %d)", key, line, col)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// takeAction removes "action" and resolves it case-insensitively.
func (d *Document) takeAction() error {
	raw, ok := d.fields[fieldAction]
	if !ok {
		return badRequest(ReasonMissingParameterValue, "action is required; valid actions: %s", strings.Join(Actions(), ", "))
	}
	delete(d.fields, fieldAction)
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return wrongType(fieldAction, "a string", raw)
	}
	canonical, ok := lookupAction(name)
	if !ok {
		if strings.TrimSpace(name) == "" {
			return badRequest(ReasonMissingParameterValue, "action is empty; valid actions: %s", strings.Join(Actions(), ", "))
		}
		return badRequest(ReasonUnknownAction, "unknown action %q; valid actions: %s", truncate(name, 60), strings.Join(Actions(), ", "))
	}
	d.Action = canonical
	return nil
}

// takeString removes an optional string field; absent and null give "".
func (d *Document) takeString(field string) (string, error) {
	raw, ok := d.fields[field]
	if !ok {
		return "", nil
	}
	delete(d.fields, field)
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", wrongType(field, "a string", raw)
	}
	return s, nil
}

// renameLegacy maps webCheckoutDetail/paymentDetail to their v2 names and
// refuses a document that carries both spellings.
func (d *Document) renameLegacy() error {
	for old, name := range legacyNames {
		raw, ok := d.fields[old]
		if !ok {
			continue
		}
		if _, both := d.fields[name]; both {
			return badRequest(ReasonInvalidParameterCombination, "%s and %s are the same field (the first is the pre-v2 name); send only one", old, name)
		}
		delete(d.fields, old)
		d.fields[name] = raw
		if d.written == nil {
			d.written = make(map[string]string, 2)
		}
		d.written[name] = old
	}
	return nil
}

// display renders a dotted API field path as the document wrote it.
func (d *Document) display(path string) string {
	head, rest, found := strings.Cut(path, ".")
	if old, ok := d.written[head]; ok {
		head = old
	}
	if found {
		return head + "." + rest
	}
	return head
}

// Fields lists the operation fields left in the document (API names,
// sorted), after action, idempotencyKey, simulationCode and authToken were
// taken out.
func (d *Document) Fields() []string {
	names := make([]string, 0, len(d.fields))
	for k := range d.fields {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// validIdempotencyKey applies Amazon Pay's rule (1–32 characters of
// A–Z a–z 0–9 - _) so a bad key is refused before anything is signed.
func validIdempotencyKey(key string) error {
	if len(key) > 32 {
		return badRequest(ReasonInvalidParameterValue, "idempotencyKey is longer than 32 characters")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return badRequest(ReasonInvalidParameterValue, "idempotencyKey may only contain A-Z a-z 0-9 - _")
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(trimSpace(raw), []byte("null")) }

// truncate shortens user input quoted in messages.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
