package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// decodeStrict decodes a JSON request body into v (a pointer to a struct)
// the way Amazon Pay validates bodies:
//
//   - malformed JSON, trailing data or a non-object → 400 InvalidRequestFormat;
//   - a key that is not a json tag of the target (compared case-sensitively,
//     unlike encoding/json) → 400 UnrecognizedField "The field 'x' is invalid
//     for this API." (x is the dotted path for nested fields);
//   - a value of the wrong JSON type → 400 InvalidParameterValue naming the
//     field;
//   - null is accepted anywhere and means "not set".
//
// An empty body decodes as {}. Types that implement json.Unmarshaler (Money
// amounts that accept strings and numbers, lenient booleans) validate their
// own values.
func decodeStrict(body []byte, v any) *apiError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		trimmed = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return errorf(http.StatusBadRequest, codeInvalidRequestFormat, "The request body is not valid JSON: %s.", jsonErrText(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, codeInvalidRequestFormat, "The request body is not valid JSON: unexpected data after the top-level value.")
	}
	obj, isObj := raw.(map[string]any)
	if !isObj {
		return errorf(http.StatusBadRequest, codeInvalidRequestFormat, "The request body must be a JSON object.")
	}
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		panic("emulator: decodeStrict needs a pointer to a struct")
	}
	if err := checkValue(obj, t.Elem(), ""); err != nil {
		return err
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		// checkValue accepts only what Unmarshal can store; this is a safety net.
		return errorf(http.StatusBadRequest, codeInvalidParameterValue, "The request body has an invalid value: %s.", jsonErrText(err))
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkValue validates raw (decoded with UseNumber) against type t.
func checkValue(raw any, t reflect.Type, path string) *apiError {
	if raw == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, err := json.Marshal(raw)
		if err != nil {
			return errInvalidValue(path, shortValue(raw))
		}
		u := reflect.New(t).Interface().(json.Unmarshaler)
		if err := u.UnmarshalJSON(b); err != nil {
			return errInvalidValue(path, shortValue(raw))
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, isObj := raw.(map[string]any)
		if !isObj {
			return errInvalidValue(path, shortValue(raw))
		}
		fields := jsonFields(t)
		for key, val := range obj {
			ft, known := fields[key]
			if !known {
				return errUnknownField(join(path, key))
			}
			if err := checkValue(val, ft, join(path, key)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		obj, isObj := raw.(map[string]any)
		if !isObj || t.Key().Kind() != reflect.String {
			return errInvalidValue(path, shortValue(raw))
		}
		for key, val := range obj {
			if err := checkValue(val, t.Elem(), join(path, key)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		arr, isArr := raw.([]any)
		if !isArr {
			return errInvalidValue(path, shortValue(raw))
		}
		for i, val := range arr {
			if err := checkValue(val, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if _, isStr := raw.(string); !isStr {
			return errInvalidValue(path, shortValue(raw))
		}
		return nil
	case reflect.Bool:
		if _, isBool := raw.(bool); !isBool {
			return errInvalidValue(path, shortValue(raw))
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, isNum := raw.(json.Number)
		if !isNum {
			return errInvalidValue(path, shortValue(raw))
		}
		if _, err := n.Int64(); err != nil {
			return errInvalidValue(path, shortValue(raw))
		}
		return nil
	case reflect.Float32, reflect.Float64:
		if _, isNum := raw.(json.Number); !isNum {
			return errInvalidValue(path, shortValue(raw))
		}
		return nil
	case reflect.Interface:
		return nil
	}
	return errInvalidValue(path, shortValue(raw))
}

// jsonFields maps the json names of t's fields (embedded structs flattened)
// to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shortValue renders a raw JSON value for an error message, capped so a huge
// value cannot blow up the answer.
func shortValue(raw any) string {
	var s string
	switch v := raw.(type) {
	case string:
		s = v
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
}

func jsonErrText(err error) string {
	s := strings.TrimPrefix(err.Error(), "json: ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// flexBool is a boolean that also accepts the strings "true" and "false"
// (the PHP SDK's README sends "canHandlePendingAuthorization": "false").
type flexBool bool

// UnmarshalJSON accepts true, false, "true" and "false".
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	default:
		return fmt.Errorf("not a boolean")
	}
	return nil
}

// decimalText is an amount as sent: a JSON string or a JSON number (the .NET
// SDK sends numbers), kept as text until its currency is known.
type decimalText string

// UnmarshalJSON accepts a JSON string or number.
func (d *decimalText) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*d = decimalText(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}
	*d = decimalText(n.String())
	return nil
}
