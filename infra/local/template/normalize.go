package template

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
)

// normalize prepares a template, already decoded from JSON with its
// intrinsic functions resolved by goformation, for goformation's typed
// decoding, which is stricter than CloudFormation in two ways:
//
//   - CloudFormation converts scalars to the type a property expects, so
//     `DeletionProtectionEnabled: !Ref SomeParam` works with a String
//     parameter whose value is "true"; goformation resolves the Ref to the
//     string "true" and then fails to decode it into a bool, failing the
//     whole template. normalize applies CloudFormation's conversions
//     (string to bool or number, number or bool to string).
//     A CommaDelimitedList parameter's Ref, resolved to its text, becomes
//     the list of strings CloudFormation gives.
//   - goformation rejects properties and resource types newer than its
//     generated schema. normalize drops them and reports their paths.
//
// It changes tpl in place and returns the paths it dropped, sorted.
func normalize(tpl map[string]any) []string {
	var n normalizer
	all := cloudformation.AllResources()
	if resources, ok := tpl["Resources"].(map[string]any); ok {
		for name, r := range resources {
			res, _ := r.(map[string]any)
			typ, _ := res["Type"].(string)
			path := "Resources." + name
			if strings.HasPrefix(typ, "Custom::") {
				continue
			}
			proto, ok := all[typ]
			if !ok {
				delete(resources, name)
				n.ignore(path + " (type " + strconv.Quote(typ) + " unknown to goformation)")
				continue
			}
			if props, ok := res["Properties"].(map[string]any); ok {
				n.object(reflect.TypeOf(proto).Elem(), props, path+".Properties")
			}
		}
	}
	if globals, ok := tpl["Globals"].(map[string]any); ok {
		for name, g := range globals {
			path := "Globals." + name
			proto, ok := all[name]
			if !ok {
				delete(globals, name)
				n.ignore(path + " (unknown to goformation)")
				continue
			}
			if props, ok := g.(map[string]any); ok {
				n.object(reflect.TypeOf(proto).Elem(), props, path)
			}
		}
	}
	sort.Strings(n.ignored)
	return n.ignored
}

type normalizer struct{ ignored []string }

func (n *normalizer) ignore(path string) { n.ignored = append(n.ignored, path) }

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value returns v converted for decoding into a Go value of type t.
func (n *normalizer) value(t reflect.Type, v any, path string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
		return v // union types (e.g. string-or-object) decode themselves
	}
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			n.object(t, m, path)
		}
	case reflect.Slice:
		if str, ok := v.(string); ok && t.Elem().Kind() == reflect.String {
			// A CommaDelimitedList parameter, which goformation resolves to
			// its text, where CloudFormation gives the list.
			var out []any
			for _, part := range strings.Split(str, ",") {
				out = append(out, strings.TrimSpace(part))
			}
			return out
		}
		if s, ok := v.([]any); ok {
			for i := range s {
				s[i] = n.value(t.Elem(), s[i], fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				m[k] = n.value(t.Elem(), m[k], path+"."+k)
			}
		}
	case reflect.Bool:
		if s, ok := v.(string); ok {
			switch strings.ToLower(s) {
			case "true":
				return true
			case "false":
				return false
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f
			}
		}
	case reflect.String:
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(x)
		}
	}
	return v
}

// object converts, in place, the JSON object m for decoding into struct type
// t, dropping keys that t has no field for.
func (n *normalizer) object(t reflect.Type, m map[string]any, path string) {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" && f.IsExported() {
			fields[name] = f.Type
		}
	}
	for k, v := range m {
		ft, ok := fields[k]
		if !ok {
			delete(m, k)
			n.ignore(path + "." + k)
			continue
		}
		m[k] = n.value(ft, v, path+"."+k)
	}
}
