package strictjson

import (
	"errors"
	"fmt"
	"testing"
)

func TestCheckFields(t *testing.T) {
	known := map[string]bool{"a": true, "b": true, "list": true}
	tests := []struct {
		name, in string
		bad      string // the field named by the error, "" for none
		dup      bool
	}{
		{"flat", `{"a": 1, "b": "x"}`, "", false},
		{"nested objects and arrays", `{"list": [{"a": 1}, {"a": 2, "b": [1, {"b": null}]}]}`, "", false},
		{"empty object", `{}`, "", false},
		{"not an object", `[1, 2, "a"]`, "", false},
		{"string values are not names", `{"a": "c", "b": "a"}`, "", false},
		{"unknown", `{"a": 1, "c": 2}`, "c", false},
		{"other letter case", `{"A": 1}`, "A", false},
		{"escaped other case", `{"\u0041": 1}`, "A", false},
		{"duplicate", `{"a": 1, "b": 2, "a": 3}`, "a", true},
		{"duplicate spelt with an escape", `{"a": 1, "\u0061": 3}`, "a", true},
		{"duplicate nested", `{"list": [{"b": 1, "b": 1}]}`, "b", true},
		{"unknown nested deep", `{"list": [[{"a": {"zz": 1}}]]}`, "zz", false},
		{"same name in sibling objects is fine", `{"list": [{"a": 1}, {"a": 1}]}`, "", false},
		{"name after nested value", `{"list": {"a": 1}, "list": 2}`, "list", true},
		{"syntax error is left to the decoder", `{"a": 1,`, "", false},
		{"empty input", ``, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFields([]byte(tt.in), known)
			if tt.bad == "" {
				if err != nil {
					t.Fatalf("CheckFields(%s) = %v, want nil", tt.in, err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("CheckFields(%s) = %v, want a *FieldError", tt.in, err)
			}
			if fe.Name != tt.bad || fe.Duplicate != tt.dup {
				t.Errorf("CheckFields(%s) = %+v, want name %q duplicate %v", tt.in, fe, tt.bad, tt.dup)
			}
		})
	}
}

func ExampleCheckFields() {
	known := map[string]bool{"product": true}
	fmt.Println(CheckFields([]byte(`{"product": "a"}`), known))
	fmt.Println(CheckFields([]byte(`{"product": "a", "Product": "b"}`), known))
	fmt.Println(CheckFields([]byte(`{"product": "a", "product": "b"}`), known))
	// Output:
	// <nil>
	// unknown field "Product"
	// field "product" appears twice in one object
}
