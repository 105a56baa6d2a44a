package kinesis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// A request body is decoded (JSON or CBOR) into a generic tree, then
// checked against the operation's schema in two passes, as Kinesis' Coral
// front end does (and kinesalite, whose REMOTE-validated tests record it):
//
//  1. types: each known member must have its declared type, or the whole
//     request fails with a SerializationException whose text is Coral's
//     ("class java.lang.String can not be converted to an Integer");
//     unknown members and nulls are dropped; blobs are base64-decoded;
//  2. constraints: every member's constraints in schema order, up to ten
//     failures joined into one ValidationException
//     ("2 validation errors detected: Value … at 'records.1.member.data' …").
//
// After both passes a member is one of: string, int64, bool, []byte,
// float64 (timestamps, epoch seconds), []any, map[string]any.

type kind int

const (
	kString kind = iota
	kInteger
	kLong
	kBoolean
	kBlob
	kTimestamp
	kList
	kMap
	kStruct
)

// field is one member of a request shape.
type field struct {
	name      string
	kind      kind
	checks    []check
	elem      *field  // list and map members
	fields    []field // structure members
	memberStr string  // how a list prints its members in messages
	// notNullUnless exempts notNull when the named sibling is present
	// (StreamName may be replaced by StreamARN).
	notNullUnless string
}

type checkKind int

const (
	cNotNull checkKind = iota
	cRegex
	cMinLen
	cMaxLen
	cMin
	cMax
	cEnum
	cChildLens      // every list element's length within [a, b]
	cChildKeyLens   // every map key's length within [a, b]
	cChildValueLens // every map value's length within [a, b]
)

type check struct {
	kind  checkKind
	n, m  int64
	re    *regexp.Regexp
	text  string
	enums []string
}

func notNull() check         { return check{kind: cNotNull} }
func minLen(n int64) check   { return check{kind: cMinLen, n: n} }
func maxLen(n int64) check   { return check{kind: cMaxLen, n: n} }
func minVal(n int64) check   { return check{kind: cMin, n: n} }
func maxVal(n int64) check   { return check{kind: cMax, n: n} }
func enum(v ...string) check { return check{kind: cEnum, enums: v} }
func childLens(a, b int64) check {
	return check{kind: cChildLens, n: a, m: b}
}
func childKeyLens(a, b int64) check   { return check{kind: cChildKeyLens, n: a, m: b} }
func childValueLens(a, b int64) check { return check{kind: cChildValueLens, n: a, m: b} }
func regex(p string) check {
	return check{kind: cRegex, text: p, re: regexp.MustCompile("^(?:" + p + ")$")}
}

// ---- decoding ----

var mapType = reflect.TypeOf(map[string]any(nil))

var cborDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		DefaultMapType:   mapType,
		MaxNestedLevels:  32,
		MaxArrayElements: 100000,
		MaxMapPairs:      100000,
		TimeTag:          cbor.DecTagOptional,
		DupMapKey:        cbor.DupMapKeyQuiet,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// decodeBody parses a JSON or CBOR body into a map. A body that is not one
// object is a SerializationException with no message (as AWS answers).
func decodeBody(body []byte, isCBOR bool) (map[string]any, *apiError) {
	var v any
	if isCBOR {
		if !cborWithinLimits(body) {
			return nil, errTooManyValues
		}
		if err := cborDec.Unmarshal(body, &v); err != nil {
			return nil, &apiError{Type: errSerialization}
		}
	} else {
		if !jsonWithinLimits(body) {
			return nil, errTooManyValues
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if !json.Valid(body) || dec.Decode(&v) != nil {
			return nil, &apiError{Type: errSerialization}
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &apiError{Type: errSerialization}
	}
	return m, nil
}

// normalize runs the type pass over a structure.
func normalize(data map[string]any, fields []field) (map[string]any, *apiError) {
	out := make(map[string]any, len(fields))
	for i := range fields {
		f := &fields[i]
		v, ok := data[f.name]
		if !ok || v == nil {
			continue
		}
		nv, err := f.typeCheck(v)
		if err != nil {
			return nil, err
		}
		if nv != nil {
			out[f.name] = nv
		}
	}
	return out, nil
}

func startOf(v any) *apiError {
	if _, ok := v.([]any); ok {
		return serializationError("Start of list found where not expected")
	}
	return serializationError("Start of structure or map found where not expected.")
}

func (f *field) typeCheck(v any) (any, *apiError) {
	switch f.kind {
	case kString:
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return nil, serializationError("class java.lang.Boolean can not be converted to an String")
		case []any, map[string]any:
			return nil, startOf(v)
		case []byte:
			return nil, serializationError("class java.nio.HeapByteBuffer can not be converted to an String")
		default:
			return nil, serializationError("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String")
		}
	case kInteger, kLong:
		name := "Integer"
		if f.kind == kLong {
			name = "Long"
		}
		switch v.(type) {
		case bool:
			return nil, serializationError("class java.lang.Boolean can not be converted to an %s", name)
		case string, []byte:
			return nil, serializationError("class java.lang.String can not be converted to an %s", name)
		case []any, map[string]any:
			return nil, startOf(v)
		}
		fl, ok := number(v)
		if !ok {
			return nil, serializationError("class java.lang.String can not be converted to an %s", name)
		}
		n := math.Floor(fl)
		if f.kind == kInteger {
			n = min(n, math.MaxInt32)
		}
		return int64(max(min(n, math.MaxInt64), math.MinInt64)), nil
	case kBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return nil, serializationError("'%s' can not be converted to an Boolean", strings.ToUpper(x))
		case []any, map[string]any:
			return nil, startOf(v)
		default:
			return nil, serializationError("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean")
		}
	case kBlob:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return decodeBase64(x)
		case bool:
			return nil, serializationError("class java.lang.Boolean can not be converted to a Blob")
		case []any, map[string]any:
			return nil, startOf(v)
		default:
			return nil, serializationError("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob")
		}
	case kTimestamp:
		switch x := v.(type) {
		case time.Time:
			// CBOR tag 1. The Java SDK writes epoch milliseconds where
			// RFC 8949 means seconds, so the decoder's "seconds" are ms.
			return (float64(x.Unix()) + float64(x.Nanosecond())/1e9) / 1000, nil
		case cbor.Tag:
			if x.Number == 1 {
				if ms, ok := number(x.Content); ok {
					return ms / 1000, nil
				}
			}
			return nil, serializationError("CBOR tag %d can not be converted to milliseconds since epoch", x.Number)
		case bool:
			return nil, serializationError("class java.lang.Boolean can not be converted to milliseconds since epoch")
		case string:
			return nil, serializationError("class java.lang.String can not be converted to milliseconds since epoch")
		case []any, map[string]any:
			return nil, startOf(v)
		}
		fl, ok := number(v)
		if !ok {
			return nil, serializationError("value can not be converted to milliseconds since epoch")
		}
		return fl, nil
	case kList:
		list, ok := v.([]any)
		if !ok {
			if _, isMap := v.(map[string]any); isMap {
				return nil, serializationError("Start of structure or map found where not expected.")
			}
			return nil, serializationError("Expected list or null")
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			if e == nil {
				out = append(out, nil)
				continue
			}
			ne, err := f.elem.typeCheck(e)
			if err != nil {
				return nil, err
			}
			out = append(out, ne)
		}
		return out, nil
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			if _, isList := v.([]any); isList {
				return nil, serializationError("Start of list found where not expected")
			}
			return nil, serializationError("Expected map or null")
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			if e == nil {
				continue
			}
			ne, err := f.elem.typeCheck(e)
			if err != nil {
				return nil, err
			}
			out[k] = ne
		}
		return out, nil
	case kStruct:
		m, ok := v.(map[string]any)
		if !ok {
			if _, isList := v.([]any); isList {
				return nil, serializationError("Start of list found where not expected")
			}
			return nil, serializationError("Expected null")
		}
		return normalize(m, f.fields)
	}
	return nil, internalError("unknown member kind %d", f.kind)
}

// number converts a decoded JSON or CBOR number to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			bf, ok := new(big.Float).SetString(string(x))
			if !ok {
				return 0, false
			}
			f, _ = bf.Float64()
		}
		return f, true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// decodeBase64 decodes a JSON blob with Coral's checks and messages.
func decodeBase64(s string) ([]byte, *apiError) {
	if len(s)%4 != 0 {
		return nil, serializationError("'%s' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: %d", s, len(s))
	}
	if i := badBase64Char(s); i >= 0 {
		return nil, serializationError("'%s' can not be converted to a Blob: Invalid Base64 character: '%c'", s, s[i])
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, serializationError("'%s' can not be converted to a Blob: Invalid last non-pad Base64 character dectected", s)
	}
	return b, nil
}

// decodeBase64Bytes is decodeBase64 for the fast path: the same checks,
// with an error only to say no (the full path words it).
func decodeBase64Bytes(s []byte) ([]byte, *apiError) {
	if len(s)%4 != 0 || badBase64Char(s) >= 0 {
		return nil, errBadBase64
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Strict().Decode(b, s)
	if err != nil {
		return nil, errBadBase64
	}
	return b[:n], nil
}

var errBadBase64 = serializationError("invalid base64")

// badBase64Char returns the index of the first character Coral refuses
// in a base64 blob (outside the alphabet, or '=' before a non-'='), or -1.
func badBase64Char[T string | []byte](s T) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
		if !ok || c == '=' && i+1 < len(s) && s[i+1] != '=' {
			return i
		}
	}
	return -1
}

// ---- constraints ----

// validate runs the constraint pass over a normalized request.
func validate(data map[string]any, fields []field) *apiError {
	var errs []string
	validateFields(data, fields, "", &errs)
	if len(errs) == 0 {
		return nil
	}
	s := ""
	if len(errs) > 1 {
		s = "s"
	}
	return newError(errValidation, "%d validation error%s detected: %s", len(errs), s, strings.Join(errs, "; "))
}

func validateFields(data map[string]any, fields []field, parent string, errs *[]string) {
	for i := range fields {
		f := &fields[i]
		f.validate(data[f.name], data, lowerFirst(f.name), parent, errs)
	}
}

func (f *field) validate(v any, siblings map[string]any, name, parent string, errs *[]string) {
	path := name
	if parent != "" {
		path = parent + "." + name
	}
	for _, c := range f.checks {
		if len(*errs) >= 10 {
			return
		}
		if c.kind == cNotNull {
			if v == nil && (f.notNullUnless == "" || siblings[f.notNullUnless] == nil) {
				*errs = append(*errs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path))
			}
			continue
		}
		if v == nil {
			continue
		}
		if msg := c.failure(v, f.kind); msg != "" {
			*errs = append(*errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", f.valueString(v), path, msg))
		}
	}
	if v == nil {
		return
	}
	switch f.kind {
	case kList:
		for i, e := range v.([]any) {
			p := fmt.Sprintf("%s.%d", path, i+1)
			if e == nil && len(*errs) < 10 {
				*errs = append(*errs, fmt.Sprintf("Value null at '%s.member' failed to satisfy constraint: Member must not be null", p))
				continue
			}
			f.elem.validate(e, nil, "member", p, errs)
		}
	case kMap:
		m := v.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f.elem.validate(m[k], nil, "member", path+"."+k, errs)
		}
	case kStruct:
		validateFields(v.(map[string]any), f.fields, path, errs)
	}
}

// failure returns the constraint text v violates, or "".
func (c check) failure(v any, k kind) string {
	switch c.kind {
	case cRegex:
		if s, ok := v.(string); ok && !c.re.MatchString(s) {
			return "Member must satisfy regular expression pattern: " + c.text
		}
	case cMinLen:
		if length(v) < c.n {
			return fmt.Sprintf("Member must have length greater than or equal to %d", c.n)
		}
	case cMaxLen:
		if length(v) > c.n {
			return fmt.Sprintf("Member must have length less than or equal to %d", c.n)
		}
	case cMin:
		if n, ok := v.(int64); ok && n < c.n {
			return fmt.Sprintf("Member must have value greater than or equal to %d", c.n)
		}
	case cMax:
		if n, ok := v.(int64); ok && n > c.n {
			return fmt.Sprintf("Member must have value less than or equal to %d", c.n)
		}
	case cEnum:
		if s, _ := v.(string); !slices.Contains(c.enums, s) {
			return "Member must satisfy enum value set: [" + strings.Join(c.enums, ", ") + "]"
		}
	case cChildLens:
		for _, e := range v.([]any) {
			if l := length(e); l < c.n || l > c.m {
				return fmt.Sprintf("Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", c.m, c.n)
			}
		}
	case cChildKeyLens:
		for key := range v.(map[string]any) {
			if l := length(key); l < c.n || l > c.m {
				return fmt.Sprintf("Map keys must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", c.m, c.n)
			}
		}
	case cChildValueLens:
		for _, e := range v.(map[string]any) {
			if l := length(e); l < c.n || l > c.m {
				return fmt.Sprintf("Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", c.m, c.n)
			}
		}
	}
	return ""
}

// length is a member's length as Coral counts it: UTF-16 units for strings
// (JavaScript's and Java's String.length), bytes for blobs, entries for
// lists and maps.
func length(v any) int64 {
	switch x := v.(type) {
	case string:
		n := int64(0)
		for _, r := range x {
			n++
			if r > 0xFFFF {
				n++
			}
		}
		return n
	case []byte:
		return int64(len(x))
	case []any:
		return int64(len(x))
	case map[string]any:
		return int64(len(x))
	}
	return 0
}

// valueString prints a value the way Coral's messages do.
func (f *field) valueString(v any) string {
	switch x := v.(type) {
	case []byte:
		return fmt.Sprintf("'java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]'", len(x), len(x))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if f.memberStr != "" {
				parts[i] = f.memberStr
			} else {
				parts[i] = fmt.Sprint(e)
			}
		}
		return "'[" + strings.Join(parts, ", ") + "]'"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%v", k, x[k])
		}
		return "'{" + strings.Join(parts, ", ") + "}'"
	}
	return fmt.Sprintf("'%v'", v)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
