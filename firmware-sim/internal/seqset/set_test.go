package seqset

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAddMergesRanges(t *testing.T) {
	cases := []struct {
		add  []uint64
		want string
	}{
		{nil, ""},
		{[]uint64{1, 2, 3}, "1-3"},
		{[]uint64{1, 3}, "1,3"},
		{[]uint64{3, 1, 2}, "1-3"},
		{[]uint64{5, 1, 3, 2, 4}, "1-5"},
		{[]uint64{1, 2, 2, 1}, "1-2"},
		{[]uint64{10, 20, 15, 11, 19}, "10-11,15,19-20"},
		{[]uint64{0, 18446744073709551615}, "0,18446744073709551615"},
	}
	for _, c := range cases {
		var s Set
		for _, n := range c.add {
			s.Add(n)
		}
		if got := s.String(); got != c.want {
			t.Errorf("Add(%v) = %q, want %q", c.add, got, c.want)
		}
	}
}

// TestAgainstMap checks Add, AddRange, Contains, Len and Diff against a
// plain map on random input.
func TestAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var a, b Set
		ma, mb := map[uint64]bool{}, map[uint64]bool{}
		for i := 0; i < 60; i++ {
			n := rng.Uint64N(100)
			if rng.IntN(4) == 0 {
				m := n + rng.Uint64N(6)
				a.AddRange(n, m)
				for k := n; k <= m; k++ {
					ma[k] = true
				}
			} else if wasNew := a.Add(n); wasNew == ma[n] {
				t.Fatalf("Add(%d) reported new=%v, map says present=%v", n, wasNew, ma[n])
			} else {
				ma[n] = true
			}
			n = rng.Uint64N(100)
			b.Add(n)
			mb[n] = true
		}
		if a.Len() != uint64(len(ma)) {
			t.Fatalf("Len = %d, want %d (%s)", a.Len(), len(ma), a.String())
		}
		rs := a.Ranges()
		for i := 1; i < len(rs); i++ {
			if rs[i-1].Last+1 >= rs[i].First {
				t.Fatalf("ranges not disjoint and apart: %s", a.String())
			}
		}
		d := a.Diff(&b)
		for n := uint64(0); n < 110; n++ {
			if a.Contains(n) != ma[n] {
				t.Fatalf("Contains(%d) = %v, want %v", n, a.Contains(n), ma[n])
			}
			if want := ma[n] && !mb[n]; d.Contains(n) != want {
				t.Fatalf("Diff contains %d = %v, want %v (a=%s b=%s d=%s)", n, d.Contains(n), want, a.String(), b.String(), d.String())
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var s Set
	for _, n := range []uint64{1, 2, 3, 7, 9, 10} {
		s.Add(n)
	}
	b, err := json.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "[[1,3],[7,7],[9,10]]" {
		t.Fatalf("Marshal = %s", b)
	}
	var back Set
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Ranges(), s.Ranges()) || back.Len() != 6 {
		t.Fatalf("round trip = %s (len %d)", back.String(), back.Len())
	}
	var empty Set
	if b, _ := json.Marshal(&empty); string(b) != "[]" {
		t.Fatalf("empty = %s", b)
	}
	for _, bad := range []string{`[[3,1]]`, `[1,2]`, `{"a":1}`, `[[1,-2]]`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}

func TestFormatLimits(t *testing.T) {
	var s Set
	for n := uint64(1); n < 20; n += 2 {
		s.Add(n)
	}
	if got, want := s.Format(3), "1,3,5 … (7 more ranges)"; got != want {
		t.Fatalf("Format(3) = %q, want %q", got, want)
	}
}

// FuzzUnmarshal: any input either fails or gives a well-formed set that
// marshals back to something that decodes to the same set.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`[]`, `[[1,3],[7,7]]`, `[[5,9],[1,6]]`, `[[0,18446744073709551615]]`, `[[3,1]]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Set
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		rs := s.Ranges()
		var total uint64
		for i, r := range rs {
			if r.First > r.Last || (i > 0 && rs[i-1].Last+1 >= r.First) {
				t.Fatalf("bad ranges %v", rs)
			}
			total += r.Len()
		}
		if total != s.Len() {
			t.Fatalf("Len %d, ranges hold %d", s.Len(), total)
		}
		b, _ := json.Marshal(&s)
		var back Set
		if err := json.Unmarshal(b, &back); err != nil || !slices.Equal(back.Ranges(), rs) {
			t.Fatalf("round trip of %s failed: %v", b, err)
		}
	})
}
