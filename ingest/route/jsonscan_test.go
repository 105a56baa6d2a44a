package route

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonDocs also seed FuzzJSONScan.
var jsonDocs = []string{
	``, ` `, `{}`, `[]`, `{ }`, `[ ]`, `0`, `-0`, `1.5e10`, `1E+2`, `-1.0e-3`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `0x10`,
	`true`, `false`, `null`, `tru`, `nul`, `True`, `"a"`, `"\u00e9\n\/"`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"\x01\"", "\"\x7f\"",
	`{"a":1,"b":[1,2,{"c":null}]}`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":1}}`, `[1]]`,
	" \t\n\r{\"a\" : [ 1 , 2 ] }\r\n", `{"a":"\ud800"}`, "\"\xe9\"", "\"\xed\xa0\x80\"", "{\"\xff\":1}", "\xef\xbb\xbf{}",
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, d := range jsonDocs {
		want := json.Valid([]byte(d)) && utf8.ValidString(d)
		if got := validJSON([]byte(d)); got != want {
			t.Errorf("validJSON(%s) = %v, want %v", quote(d), got, want)
		}
	}
}

func TestJSONScanFindsFields(t *testing.T) {
	doc := `{"a":{"b":{"c":"deep"},"x":[1,{"b":2}]},"b":"top","k\"q":3,"a":{"b":{"c":"last"}}}`
	s := jsonScan{paths: [][]string{{"a", "b", "c"}, {"b"}, {"k\"q"}, {"a", "x"}, {"a", "b"}, {"zz"}, {"a", "x", "b"}}}
	if !s.scan([]byte(doc)) {
		t.Fatal("not valid")
	}
	want := []string{`"last"`, `"top"`, `3`, ``, `{"c":"last"}`, ``, ``}
	for i, w := range want {
		sp := s.found[i]
		got := ""
		if sp.end > 0 {
			got = doc[sp.start:sp.end]
		}
		if got != w {
			t.Errorf("path %v = %q, want %q", s.paths[i], got, w)
		}
	}
	// nothing is found in a document that turns out to be invalid
	if s.scan([]byte(`{"b":"top"} x`)) || s.found[1] != (span{}) {
		t.Errorf("invalid document: found %v", s.found)
	}
}
