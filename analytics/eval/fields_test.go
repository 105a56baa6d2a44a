package eval

import (
	"reflect"
	"testing"
)

func TestDecodeFields(t *testing.T) {
	data := []byte(` {"a":1,"skip":{"x":[1,2,{"y":"}"}],"z":"\"]"},"b":"h\u00e9\n\ud83d\ude00","c":[true,null,-1.5e2],"d":{"e":0},"big":18446744073709551616} `)
	got, err := DecodeFields(data, map[string]bool{"a": true, "b": true, "c": true, "d": true, "big": true, "missing": true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": int64(1), "b": "hé\n😀", "c": []any{true, nil, -150.0}, "d": map[string]any{"e": int64(0)}, "big": 18446744073709551616.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	nums, err := DecodeFields([]byte(`{"z":0,"m":-0,"n":-12,"big":123456789012345678,"huge":1234567890123456789012,"f":0.5,"e":-1e3,"k\u0041":7}`), map[string]bool{"z": true, "m": true, "n": true, "big": true, "huge": true, "f": true, "e": true, "kA": true})
	wantNums := map[string]any{"z": int64(0), "m": int64(0), "n": int64(-12), "big": int64(123456789012345678), "huge": 1234567890123456789012.0, "f": 0.5, "e": -1000.0, "kA": int64(7)}
	if err != nil || !reflect.DeepEqual(nums, wantNums) {
		t.Errorf("numbers: %#v %v", nums, err)
	}
	for _, bad := range []string{``, `[1]`, `{"a":1`, `{"a" 1}`, `{"a":01}`, `{"a":-01}`, `{"a":-}`, `{"a":tru}`, `{"a":"x}`, `{"a":1}x`, `{"a":1,}`, `{"skip":[1,2}`, "{\"a\":\"\x01\"}"} {
		if _, err := DecodeFields([]byte(bad), map[string]bool{"a": true}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// DecodeFields agrees with Decode on every JSON object Decode accepts,
// and never panics.
func FuzzDecodeFields(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[1,{"c":"d"}],"e":"\u00e9"}`, `{}`, `{"a":-0.5e-3,"b":null,"c":true}`, `{"a":{"b":{"c":[[]]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		full, err := Decode(data)
		m, ok := full.(map[string]any)
		names := map[string]bool{}
		for k := range m {
			names[k] = true
		}
		got, ferr := DecodeFields(data, names)
		if err != nil || !ok {
			return // DecodeFields may accept what it only skipped
		}
		if ferr != nil {
			t.Fatalf("Decode accepted %q, DecodeFields: %v", data, ferr)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%q: DecodeFields %#v, Decode %#v", data, got, m)
		}
	})
}
