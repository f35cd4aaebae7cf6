package reliability

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Hostile values by what a field holds.
var (
	badAmounts = []any{
		"-1.00", "-0.01", "0", "0.00", "1.001", "0.005", "1e3", "1E-2", "NaN", "Infinity", "-Infinity",
		"99999999999999999999.00", "92233720368547758.07", "92233720368547758.08", "9223372036854775807",
		"１００.００", " 1.00", "1.00 ", "1,000.00", "", "0x10", "1.", ".5", "+1.00", "-0.00", "1..0", "¥1.00",
		"1.0.0", "abc", "٣.٠٠", "1\u0000", 100, 1.5, -1, 1e300, true, nil, map[string]any{}, []any{"1.00"},
	}
	badStrings = []any{
		"", " ", strings.Repeat("x", 10000), "用户🙂", "\u202eevil", "\x00", "' OR 1=1 --", "\"; DROP TABLE payment; --",
		"../../etc/passwd", "<script>alert(1)</script>", "%00", "\\u0000", "\ufeff", strings.Repeat("界", 300),
		"-1", "0", "9223372036854775808", 12, false, nil, []any{}, map[string]any{"a": 1},
	}
	badDates = []any{
		"2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "0001-01-01", "2026-11-05T25:00:00Z", "yesterday",
		"2026/11/05", "20261105", "2026-11", "2026-1-5", "", "２０２６-１１-０５", 20261105, "1970-01-01T00:00:00Z",
		"2026-11-05T10:00:00+99:00",
	}
	badIDs = []any{
		"-1", "0", "abc", "1e10", "18446744073709551616", "9223372036854775807", "9223372036854775808",
		"1 OR 1=1", "", strings.Repeat("9", 200), "０１", "١٢٣", 42, -42, nil, true,
	}
	badInts = []any{
		-1, 0, 2147483647, 2147483648, -2147483649, 9223372036854775807, 1e20, 1.5, "3", "three", "", nil,
		true, []any{3}, map[string]any{},
	}
	badBools = []any{"true", "yes", 1, 0, nil, "", []any{true}}
	// badPathSegments replace path variables (already URL-escaped where needed).
	badPathSegments = []string{
		"-1", "0", "abc", "18446744073709551616", "9223372036854775807", url.PathEscape("用户🙂"),
		strings.Repeat("7", 300), "%20", "null", "2026-13", "..%2F..", "%00", "1.5", "1e3",
	}
	// badBodies are whole bodies sent raw.
	badBodies = []string{
		"", "{}", "[]", "null", "\"x\"", "123", "{", "}", "{\"a\":", "\xff\xfe\x00", "{\"amount\":}", "[{}]",
		strings.Repeat("[", 5000) + strings.Repeat("]", 5000), "{\"__proto__\":{\"x\":1}}", "{\"a\":1,\"a\":2}",
		"{\"unknown_field\":\"x\",\"another\":[1,2,3]}", "\t\n ", "{\"amount\":\"1.00\"}garbage",
	}
)

func fieldKind(fd protoreflect.FieldDescriptor) string {
	name := string(fd.Name())
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return "bool"
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return "message"
	case protoreflect.StringKind:
	default:
		return "int"
	}
	switch {
	case strings.Contains(name, "amount") || name == "limit" || name == "temp_limit" || name == "price" ||
		strings.HasSuffix(name, "_income") || name == "assets" || name == "outstanding_debt" ||
		strings.HasSuffix(name, "_principal") || strings.HasSuffix(name, "_balance"):
		return "amount"
	case strings.Contains(name, "date") || strings.HasSuffix(name, "_expires") || name == "as_of" || name == "now" ||
		strings.Contains(name, "period"):
		return "date"
	case strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_ids"):
		return "id"
	}
	return "string"
}

// plausible returns a value that passes decoding for fd (and often validation), so a
// mutation of one other field reaches deep validation.
func plausible(fd protoreflect.FieldDescriptor, vars map[string]string, rnd *rand.Rand) any {
	if fd.IsMap() {
		return map[string]any{}
	}
	one := func() any {
		name := string(fd.Name())
		switch fieldKind(fd) {
		case "bool":
			return rnd.IntN(2) == 0
		case "message":
			return plausibleObject(fd.Message(), vars, rnd, 1)
		case "int":
			if fd.Kind() == protoreflect.EnumKind {
				return string(fd.Enum().Values().Get(fd.Enum().Values().Len() - 1).Name())
			}
			if strings.Contains(name, "terms") || strings.Contains(name, "installments") {
				return []int{3, 6, 9, 12}[rnd.IntN(4)]
			}
			return 1 + rnd.IntN(20)
		case "amount":
			if name == "price" {
				return "98.50"
			}
			return fmt.Sprintf("%d.%02d", 1+rnd.IntN(50), rnd.IntN(100))
		case "date":
			if strings.Contains(name, "period") {
				return "2026-10"
			}
			return "2026-11-0" + strconv.Itoa(1+rnd.IntN(5))
		case "id":
			if v, ok := vars[name]; ok {
				return v
			}
			return strconv.FormatInt(rnd.Int64N(1<<53)+1, 10)
		}
		switch name {
		case "merchant_category":
			return "general"
		case "target":
			return "due"
		case "by":
			return "score"
		case "reason":
			return "defaulted"
		}
		return "rel-" + strconv.Itoa(rnd.IntN(1e6))
	}
	if fd.IsList() {
		return []any{one()}
	}
	return one()
}

func plausibleObject(md protoreflect.MessageDescriptor, vars map[string]string, rnd *rand.Rand, depth int) map[string]any {
	out := map[string]any{}
	if depth > 3 {
		return out
	}
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if rnd.IntN(4) == 0 && string(fd.Name()) != "user_id" {
			continue // leave some fields out
		}
		out[string(fd.Name())] = plausible(fd, vars, rnd)
	}
	return out
}

func hostile(fd protoreflect.FieldDescriptor, rnd *rand.Rand) any {
	var list []any
	switch fieldKind(fd) {
	case "amount":
		list = badAmounts
	case "date":
		list = badDates
	case "id":
		list = badIDs
	case "int":
		list = badInts
	case "bool":
		list = badBools
	default:
		list = badStrings
	}
	if rnd.IntN(6) == 0 {
		list = badStrings // wrong type for anything
	}
	return list[rnd.IntN(len(list))]
}
