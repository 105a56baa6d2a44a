package store

import (
	"errors"
	"testing"
	"time"
)

func TestDeleteRange(t *testing.T) {
	s := openStore(t, testOptions(t, newFakeClock()))
	s.maxVictims = 8 // several batches
	const n = 60
	at := func(i int) time.Time { return base.Add(time.Duration(i) * 2 * time.Second) }
	for i := range n {
		if err := s.Put("cam", fragment(at(i).Sub(base), 2*time.Second, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put("other", fragment(0, 2*time.Second, 1000)); err != nil {
		t.Fatal(err)
	}
	numbers := func() []uint64 {
		infos, err := s.List("cam", time.Time{}, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, in := range infos {
			out = append(out, in.Number)
		}
		return out
	}
	del := func(from, to time.Time, want int) {
		t.Helper()
		got, err := s.DeleteRange("cam", from, to)
		if err != nil || got != want {
			t.Fatalf("DeleteRange(%v, %v) = %d, %v; want %d", from, to, got, err, want)
		}
		checkInvariants(t, s)
	}
	usage := func() Usage {
		t.Helper()
		u, err := s.Usage("cam")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u0 := usage()

	// The middle: fragments 10..29 (numbers 11..30). A start inside
	// fragment 9 leaves it (it starts before from).
	del(at(9).Add(time.Second), at(30), 20)
	if got := numbers(); len(got) != n-20 || got[9] != 10 || got[10] != 31 {
		t.Fatalf("after deleting the middle: %v", got)
	}
	if u := usage(); u.Fragments != n-20 || u.Bytes >= u0.Bytes || !u.Oldest.Equal(u0.Oldest) || !u.Newest.Equal(u0.Newest) {
		t.Fatalf("usage %+v (before %+v)", u, u0)
	}
	if _, err := s.Get("cam", 11); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a deleted fragment: %v", err)
	}
	// The oldest ones, open from: 0..4; a fragment that starts before to
	// goes even though it ends after it.
	del(time.Time{}, at(4).Add(time.Second), 5)
	if u := usage(); !u.Oldest.Equal(at(5)) {
		t.Fatalf("oldest %v, want %v", u.Oldest, at(5))
	}
	// The newest ones, open to: 50..59.
	del(at(50), time.Time{}, 10)
	if u := usage(); !u.Newest.Equal(at(49)) || u.Fragments != n-35 {
		t.Fatalf("usage after deleting the newest: %+v", u)
	}
	// Nothing there, or an empty range.
	del(at(10), at(30), 0)
	del(at(40), at(40), 0)
	del(at(45), at(41), 0)
	if u, _ := s.Usage("other"); u.Fragments != 1 {
		t.Fatalf("another stream lost fragments: %+v", u)
	}
	// Everything; numbering carries on.
	del(time.Time{}, time.Time{}, n-35)
	if u := usage(); u.Fragments != 0 || u.Bytes != 0 || !u.Oldest.IsZero() {
		t.Fatalf("usage after deleting all: %+v", u)
	}
	if next, _ := s.NextNumber("cam"); next != n+1 {
		t.Fatalf("NextNumber = %d after deleting all, want %d", next, n+1)
	}
	if err := s.Put("cam", fragment(at(n).Sub(base), 2*time.Second, 1000)); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if _, err := s.DeleteRange("nope", time.Time{}, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown stream: %v", err)
	}
	if _, err := s.DeleteRange("cam", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("time out of range: %v", err)
	}
}

func TestDeleteRangeSurvivesReopen(t *testing.T) {
	opts := testOptions(t, newFakeClock())
	s := openStore(t, opts)
	for i := range 10 {
		if err := s.Put("cam", fragment(time.Duration(i)*time.Second, time.Second, 500)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.DeleteRange("cam", base.Add(2*time.Second), base.Add(6*time.Second)); err != nil || got != 4 {
		t.Fatalf("DeleteRange = %d, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteRange("cam", time.Time{}, time.Time{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("DeleteRange after Close: %v", err)
	}
	s = openStore(t, opts)
	checkInvariants(t, s)
	u, err := s.Usage("cam")
	if err != nil || u.Fragments != 6 || !u.Oldest.Equal(base) {
		t.Fatalf("usage after reopen %+v, %v", u, err)
	}
}
