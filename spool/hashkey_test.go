package spool

import (
	"errors"
	"testing"
)

// Test vectors from kinesis.md §3.1 and §3.2.
func TestHashPartitionKeyVectors(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"a", "16955237001963240173058271559858726497"},
		{"foo", "229609063533823256041787889330700985560"},
		{"日本", "103341369634063465466164320543046703539"},
	} {
		if got := HashPartitionKey(tc.key).String(); got != tc.want {
			t.Errorf("HashPartitionKey(%q) = %s, want %s", tc.key, got, tc.want)
		}
	}
}

func TestRoutingVectors(t *testing.T) {
	// "a" lands in shard 0 for N=2..5; "foo" in 1/2/2/3 for N=2/3/4/5.
	for n, wantFoo := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3} {
		ranges := UniformRanges(HashKey{}, MaxHashKey, n)
		find := func(h HashKey) int {
			for i, r := range ranges {
				if r.Contains(h) {
					return i
				}
			}
			return -1
		}
		if got := find(HashPartitionKey("a")); got != 0 {
			t.Errorf("N=%d: a -> %d, want 0", n, got)
		}
		if got := find(HashPartitionKey("foo")); got != wantFoo {
			t.Errorf("N=%d: foo -> %d, want %d", n, got, wantFoo)
		}
	}
}

func TestUniformRanges(t *testing.T) {
	r3 := UniformRanges(HashKey{}, MaxHashKey, 3)
	want3 := [][2]string{
		{"0", "113427455640312821154458202477256070484"},
		{"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"},
		{"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"},
	}
	for i, w := range want3 {
		if r3[i].Start.String() != w[0] || r3[i].End.String() != w[1] {
			t.Errorf("N=3 shard %d = [%s, %s], want [%s, %s]", i, r3[i].Start, r3[i].End, w[0], w[1])
		}
	}
	r4 := UniformRanges(HashKey{}, MaxHashKey, 4)
	for i, w := range []string{"0", "85070591730234615865843651857942052864", "170141183460469231731687303715884105728", "255211775190703847597530955573826158592"} {
		if r4[i].Start.String() != w {
			t.Errorf("N=4 shard %d starts at %s, want %s", i, r4[i].Start, w)
		}
	}
	if r4[3].End != MaxHashKey {
		t.Errorf("last shard ends at %s, want 2^128-1", r4[3].End)
	}
	r1 := UniformRanges(HashKey{}, MaxHashKey, 1)
	if r1[0].Start != (HashKey{}) || r1[0].End != MaxHashKey {
		t.Errorf("N=1 = %v", r1[0])
	}
}

func TestParseHashKey(t *testing.T) {
	for _, ok := range []string{"0", "1", "340282366920938463463374607431768211455", "16955237001963240173058271559858726497"} {
		h, err := ParseHashKey(ok)
		if err != nil || h.String() != ok {
			t.Errorf("ParseHashKey(%q) = %v, %v", ok, h, err)
		}
	}
	for _, bad := range []string{"", "-1", "01", "1.5", "abc", " 1", "340282366920938463463374607431768211456", "9999999999999999999999999999999999999999"} {
		if _, err := ParseHashKey(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseHashKey(%q) err = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestSeqNum(t *testing.T) {
	for _, sn := range []SeqNum{{0, 0}, {0, 1}, {7, 12345}, {4294967295, 18446744073709551615}} {
		s := sn.String()
		if len(s) != 33 {
			t.Errorf("%v: %q has %d digits", sn, s, len(s))
		}
		got, err := ParseSeqNum(s)
		if err != nil || got != sn {
			t.Errorf("ParseSeqNum(%q) = %v, %v; want %v", s, got, err, sn)
		}
	}
	// big-integer order equals counter order within a shard
	a, b := SeqNum{3, 9}.String(), SeqNum{3, 10}.String()
	if !(a < b) {
		t.Errorf("%s !< %s", a, b)
	}
	for _, bad := range []string{"", "1", "49590338271490256608559692538361571095921575989136588898", "200000000000000000000000000000000", "1000000000000a00000000000000000001", "10000000000000000000000000000000x", "1000000000000999999999999999999999"} {
		if _, err := ParseSeqNum(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseSeqNum(%q) err = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestParseShardID(t *testing.T) {
	for in, want := range map[string]uint32{"shardId-000000000000": 0, "shardId-000000000012": 12, "shardId-3": 3, "5": 5} {
		if got, err := ParseShardID(in); err != nil || got != want {
			t.Errorf("ParseShardID(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "shardId-", "shard-1", "-1", "+1", "shardId-x"} {
		if _, err := ParseShardID(bad); err == nil {
			t.Errorf("ParseShardID(%q) succeeded", bad)
		}
	}
}
