package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/apaykit/apaykit/amazonpay"
)

// call is a document that passed every check and is ready for its SDK
// method: the path ids in order, the request options and the remaining
// fields for the request body or query.
type call struct {
	doc  *Document
	ids  []string
	opts []amazonpay.RequestOption
}

// id is the operation's (first and only) path parameter.
func (c *call) id() string {
	if len(c.ids) == 0 {
		return ""
	}
	return c.ids[0]
}

// noBody refuses fields an operation without a body or query cannot take,
// rather than silently dropping them.
func (c *call) noBody() error {
	if names := c.doc.Fields(); len(names) > 0 {
		return unrecognized(c.doc, c.doc.display(names[0]))
	}
	return nil
}

// decode fills v (an SDK request struct or a query struct) from the
// remaining fields. Unknown fields are refused, as Amazon Pay refuses them
// with UnrecognizedField. Each top-level field is decoded on its own, so
// every error names the field it came from.
func (c *call) decode(v any) error {
	for _, name := range c.doc.Fields() {
		key, _ := json.Marshal(name)
		one := make([]byte, 0, len(key)+len(c.doc.fields[name])+3)
		one = append(one, '{')
		one = append(one, key...)
		one = append(one, ':')
		one = append(one, c.doc.fields[name]...)
		one = append(one, '}')
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return c.decodeError(name, err)
		}
	}
	return nil
}

// decodeError turns encoding/json's errors into 400s that name the field as
// the document wrote it; top is the top-level field being decoded.
func (c *call) decodeError(top string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := te.Field
		if path == "" {
			path = top
		}
		return badRequest(ReasonInvalidParameterValue, "%s must be %s, got %s", c.doc.display(path), goKind(te.Type), article(te.Value))
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, uerr := strconv.Unquote(rest)
		if uerr != nil {
			name = rest
		}
		if name != top {
			name = top + "." + name
		}
		return unrecognized(c.doc, c.doc.display(name))
	}
	msg = strings.TrimPrefix(msg, "amazonpay: ")
	msg = strings.TrimPrefix(msg, "json: ")
	return badRequest(ReasonInvalidParameterValue, "%s: %s", c.doc.display(top), msg)
}

// unrecognized reports a field the operation does not take.
func unrecognized(doc *Document, name string) error {
	return badRequest(ReasonUnrecognizedField, "the field %q is invalid for %s", name, doc.Action)
}

// goKind names the JSON type a Go type decodes from.
func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// article turns encoding/json's value description ("string", "number 5",
// "object") into "a string", "a number", "an object".
func article(v string) string {
	v, _, _ = strings.Cut(v, " ")
	switch v {
	case "object", "array":
		return "an " + v
	case "":
		return "another type"
	}
	return "a " + v
}

// stringList decodes a JSON array of strings or one comma-separated string
// (the form the API's query takes), for reportTypes and processingStatuses.
type stringList []string

// UnmarshalJSON accepts ["A","B"] or "A,B".
func (l *stringList) UnmarshalJSON(b []byte) error {
	b = trimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = nil
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				*l = append(*l, part)
			}
		}
		return nil
	}
	var xs []string
	if err := json.Unmarshal(b, &xs); err != nil {
		return fmt.Errorf("must be an array of strings or a comma-separated string")
	}
	*l = xs
	return nil
}

// pageSize decodes a page size given as a JSON number or a numeric string.
type pageSize int

// UnmarshalJSON accepts 10 or "10".
func (p *pageSize) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(trimSpace(b)), `"`)
	if s == "null" || s == "" {
		*p = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("must be a non-negative whole number")
	}
	*p = pageSize(n)
	return nil
}
