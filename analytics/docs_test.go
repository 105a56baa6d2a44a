package analytics

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every ```sql example of docs/sql.md compiles, and so does every app of
// its yaml examples.
func TestDocsExamplesCompile(t *testing.T) {
	doc, err := os.ReadFile("../docs/sql.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 6 {
		t.Fatalf("%d sql examples in docs/sql.md", len(blocks))
	}
	for _, b := range blocks {
		if _, err := Compile(b[1], nil); err != nil {
			t.Errorf("%v\n%s", err, Caret(err, b[1]))
		}
	}
	// the quoted statements of the console examples
	for _, m := range regexp.MustCompile(`"((?:INSERT INTO|SELECT) [^"]*)"`).FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(m[1], "WHRE") {
			continue // the example of an error
		}
		if _, err := Compile(m[1], nil); err != nil {
			t.Errorf("%s: %v", m[1], err)
		}
	}
}
