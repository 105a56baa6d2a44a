#!/usr/bin/env bash
# awscli-smoke.sh ENDPOINT_URL
#
# Smoke test of a Kinesis Data Streams endpoint with the AWS CLI v2
# (Debian's awscli). It creates stream $STREAM (default "smoke") and
# "$STREAM-2", so run it against a server where those do not exist.
# TestAWSCLISmoke (awscli_test.go) runs it against an in-process handler;
# by hand:
#
#   TRIBUTARY_HTTP_ADDR=127.0.0.1:4567 tributary run --data-dir DIR --mqtt off &
#   bash gateway/internal/kinesis/testdata/awscli-smoke.sh http://127.0.0.1:4567
#
# Environment: AWS = the aws binary (default /usr/bin/aws; an aws v1 shim
# often comes first on PATH, so PATH is not searched). Every check prints
# "ok: ..." and the first mismatch exits 1 with "FAIL: ...".
# Expected values: kinesis.md §3.1 (key → shard), §3.2 (hash ranges),
# §3.4 (shard ids), §3.6 (ChildShards), §3.11 (split) and §2 (paging).
set -eu -o pipefail
set -f # no globbing of unquoted expansions (base64 holds no glob characters, but be safe)

endpoint=${1:?usage: awscli-smoke.sh ENDPOINT_URL}
AWS=${AWS:-/usr/bin/aws}
stream=${STREAM:-smoke}
stream2=$stream-2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Dummy credentials, a fixed region and no user configuration.
export AWS_ACCESS_KEY_ID=AKIDSMOKETEST AWS_SECRET_ACCESS_KEY=smoke-secret
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE="$tmp/config" AWS_SHARED_CREDENTIALS_FILE="$tmp/credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
	AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS AWS_CLI_AUTO_PROMPT AWS_CA_BUNDLE

fail() {
	echo "FAIL: $*" >&2
	echo "($AWS --version: $("$AWS" --version 2>&1 || true))" >&2
	exit 1
}

ok() { echo "ok: $*"; }

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	ok "$1: $3"
}

if [ ! -x "$AWS" ]; then
	echo "FAIL: aws CLI not found at $AWS (apt-get install awscli, or set AWS)" >&2
	exit 1
fi
# (No `aws --version` here: each aws run costs about a second. fail()
# prints it, which also shows when an aws v1 was picked.)
echo "aws CLI $AWS against $endpoint"

# call OP ARGS...: aws kinesis OP ARGS... against the endpoint; prints its
# stdout, or the command and its stderr and exits 1 when it fails.
call() {
	if ! "$AWS" --endpoint-url "$endpoint" kinesis "$@" >"$tmp/out" 2>"$tmp/err"; then
		fail "aws kinesis $* failed: $(cat "$tmp/err")"
	fi
	cat "$tmp/out"
}

# q QUERY OP ARGS...: calls OP with --query QUERY, which must produce one
# string, and prints it without JSON quotes. JSON output is used because
# text output applies --query page by page on paginated operations.
q() {
	query=$1
	shift
	call "$@" --query "$query" --output json | sed -e 's/^"//' -e 's/"$//'
}

# b64d BASE64: the decoded bytes.
b64d() { printf '%s' "$1" | base64 -d; }

shard0=shardId-000000000000
shard1=shardId-000000000001
shard2=shardId-000000000002
shard3=shardId-000000000003
shard4=shardId-000000000004

# --- CreateStream, the stream-exists waiter, DescribeStream -------------------

call create-stream --stream-name "$stream" --shard-count 3 >/dev/null
ok "create-stream $stream --shard-count 3"

# The waiter polls every 10 s for 3 min; the stream must be ACTIVE at once
# or soon, so bound it.
wait_cmd=("$AWS" --endpoint-url "$endpoint" kinesis wait stream-exists --stream-name "$stream")
if command -v timeout >/dev/null; then
	wait_cmd=(timeout 30 "${wait_cmd[@]}")
fi
"${wait_cmd[@]}" 2>"$tmp/err" || fail "wait stream-exists --stream-name $stream did not succeed within 30 s: $(cat "$tmp/err")"
ok "wait stream-exists $stream"

r=$(q "join(' ', [StreamDescription.StreamStatus, StreamDescription.StreamName, join(',', StreamDescription.Shards[].ShardId), join(',', StreamDescription.Shards[].HashKeyRange.StartingHashKey), StreamDescription.Shards[-1].HashKeyRange.EndingHashKey])" \
	describe-stream --stream-name "$stream")
expect "describe-stream $stream: status, name, shards, starting hash keys, last ending hash key" "$r" \
	"ACTIVE $stream $shard0,$shard1,$shard2 0,113427455640312821154458202477256070485,226854911280625642308916404954512140970 340282366920938463463374607431768211455"

# --- PutRecord, PutRecords ---------------------------------------------------------

raw=(--cli-binary-format raw-in-base64-out)

r=$(q "join(' ', [ShardId, SequenceNumber])" put-record --stream-name "$stream" --partition-key a --data "hello, a!" "${raw[@]}")
expect "put-record key a → ShardId" "${r%% *}" "$shard0"
seq_a=${r#* }
case $seq_a in '' | *[!0-9]*) fail "put-record key a: SequenceNumber '$seq_a' is not a decimal string" ;; esac

r=$(q "ShardId" put-record --stream-name "$stream" --partition-key foo --data "hello, foo!" "${raw[@]}")
expect "put-record key foo → ShardId" "$r" "$shard2"

r=$(q "join(' ', [to_string(FailedRecordCount), join(',', Records[].ShardId)])" put-records --stream-name "$stream" "${raw[@]}" \
	--records '[{"Data":"batch-1","PartitionKey":"a"},{"Data":"batch-2","PartitionKey":"foo"},{"Data":"batch-3","PartitionKey":"b"},{"Data":"batch-4 ü","PartitionKey":"a"}]')
expect "put-records keys a,foo,b,a → FailedRecordCount and ShardIds" "$r" "0 $shard0,$shard2,$shard1,$shard0"

# --- GetShardIterator, GetRecords ------------------------------------------------

it=$(q "ShardIterator" get-shard-iterator --stream-name "$stream" --shard-id "$shard0" --shard-iterator-type TRIM_HORIZON)
[ -n "$it" ] && [ "$it" != null ] || fail "get-shard-iterator TRIM_HORIZON: no ShardIterator"
ok "get-shard-iterator $shard0 TRIM_HORIZON"

r=$(q "join(' ', [join(',', Records[].PartitionKey), join(',', Records[].Data), join(',', Records[].SequenceNumber), to_string(NextShardIterator), to_string(MillisBehindLatest)])" \
	get-records --shard-iterator "$it")
set -- $r
[ $# -eq 5 ] || fail "get-records $shard0: unexpected answer '$r'"
expect "get-records $shard0: partition keys" "$1" "a,a,a"
data=
for b in $(echo "$2" | tr ',' ' '); do
	data="$data|$(b64d "$b")" || fail "get-records: Data '$b' is not base64"
done
expect "get-records $shard0: data (base64-decoded)" "${data#|}" "hello, a!|batch-1|batch-4 ü"
expect "get-records $shard0: first SequenceNumber = put-record's" "${3%%,*}" "$seq_a"
[ "$4" != null ] || fail "get-records $shard0 (open shard): NextShardIterator is null"
ok "get-records $shard0: NextShardIterator present"
next_it=$4
case $5 in '' | *[!0-9]*) fail "get-records: MillisBehindLatest '$5' is not a number" ;; esac
ok "get-records $shard0: MillisBehindLatest $5"

# --- ListShards paging ------------------------------------------------------------

# Manual paging: --max-results 1 turns off the CLI paginator; the next
# pages send only NextToken (with StreamName too AWS answers
# InvalidArgumentException "NextToken and StreamName cannot be provided
# together.").
got=
pages=0
r=$(q "join(' ', [to_string(NextToken), join(',', Shards[].ShardId)])" list-shards --stream-name "$stream" --max-results 1)
while :; do
	pages=$((pages + 1))
	tok=${r%% *}
	ids=${r#* }
	case $ids in *,*) fail "list-shards --max-results 1: page $pages has more than one shard: $ids" ;; esac
	[ -z "$ids" ] || got="$got,$ids"
	[ "$tok" != null ] || break
	[ $pages -lt 5 ] || fail "list-shards --max-results 1: still a NextToken after $pages pages (got${got:+ }${got#,})"
	r=$(q "join(' ', [to_string(NextToken), join(',', Shards[].ShardId)])" list-shards --next-token "$tok" --max-results 1)
done
expect "list-shards --max-results 1 / --next-token: shards over $pages pages" "${got#,}" "$shard0,$shard1,$shard2"

# The CLI paginator: --max-items 1, then --starting-token.
got=
pages=0
r=$(q "join(' ', [to_string(NextToken), join(',', Shards[].ShardId)])" list-shards --stream-name "$stream" --max-items 1)
while :; do
	pages=$((pages + 1))
	tok=${r%% *}
	ids=${r#* }
	case $ids in *,*) fail "list-shards --max-items 1: page $pages has more than one shard: $ids" ;; esac
	[ -z "$ids" ] || got="$got,$ids"
	[ "$tok" != null ] || break
	[ $pages -lt 5 ] || fail "list-shards --max-items 1: still a NextToken after $pages pages (got ${got#,})"
	r=$(q "join(' ', [to_string(NextToken), join(',', Shards[].ShardId)])" list-shards --stream-name "$stream" --max-items 1 --starting-token "$tok")
done
expect "list-shards --max-items 1 / --starting-token: shards over $pages pages" "${got#,}" "$shard0,$shard1,$shard2"

# --- ListStreams paging -------------------------------------------------------------

call create-stream --stream-name "$stream2" --shard-count 1 >/dev/null
ok "create-stream $stream2 --shard-count 1"

# --page-size 1 makes every request Limit=1, so the CLI follows the
# server's NextToken (not ExclusiveStartStreamName) from page to page.
got=,
pages=0
# (On a page resumed from --starting-token botocore empties the secondary
# result key, StreamSummaries, so only the first page can be compared.)
lsq="join(' ', [to_string(NextToken), join(',', StreamNames), join(',', StreamSummaries[].StreamName) || '-'])"
r=$(q "$lsq" list-streams --max-items 1 --page-size 1)
while :; do
	pages=$((pages + 1))
	set -- $r
	[ $# -eq 3 ] || fail "list-streams --max-items 1: page $pages: unexpected answer '$r'"
	case $2 in *,*) fail "list-streams --max-items 1: page $pages has more than one stream: $2" ;; esac
	[ $pages -gt 1 ] || [ "$2" = "$3" ] || fail "list-streams: page 1: StreamNames '$2' but StreamSummaries '$3'"
	case $got in *",$2,"*) fail "list-streams: $2 listed twice" ;; esac
	got="$got$2,"
	[ "$1" != null ] || break
	[ $pages -lt 20 ] || fail "list-streams --max-items 1: still a NextToken after $pages pages"
	r=$(q "$lsq" list-streams --max-items 1 --page-size 1 --starting-token "$1")
done
for n in "$stream" "$stream2"; do
	case $got in *",$n,"*) ;; *) fail "list-streams --max-items 1 / --starting-token: $n missing from ${got#,}" ;; esac
done
got=${got#,}
[ $pages -ge 2 ] || fail "list-streams --max-items 1: only $pages page(s)"
ok "list-streams --max-items 1 --page-size 1 / --starting-token: ${got%,} over $pages pages"

# --- SplitShard ---------------------------------------------------------------------

mid=56713727820156410577229101238628035242 # middle of shard 0's range
call split-shard --stream-name "$stream" --shard-to-split "$shard0" --new-starting-hash-key "$mid" >/dev/null
ok "split-shard $shard0 at $mid"

r=$(q "join(' ', Shards[].join(',', [ShardId, ParentShardId || '-', SequenceNumberRange.EndingSequenceNumber && 'closed' || 'open', HashKeyRange.StartingHashKey, HashKeyRange.EndingHashKey]))" \
	list-shards --stream-name "$stream")
set -- $r
expect "list-shards after split: shard count" "$#" 5
expect "list-shards after split: id,parent,state,start,end" "$r" \
	"$shard0,-,closed,0,113427455640312821154458202477256070484 $shard1,-,open,113427455640312821154458202477256070485,226854911280625642308916404954512140969 $shard2,-,open,226854911280625642308916404954512140970,340282366920938463463374607431768211455 $shard3,$shard0,open,0,56713727820156410577229101238628035241 $shard4,$shard0,open,$mid,113427455640312821154458202477256070484"

# The iterator from before the split is at the end of the now closed
# shard: no records, no NextShardIterator, and the children (KCL needs
# next == null ⇔ ChildShards non-empty).
r=$(q "join(' ', [to_string(length(Records)), to_string(NextShardIterator), join(',', ChildShards[].ShardId || \`[]\`)])" get-records --shard-iterator "$next_it")
expect "get-records at the end of closed $shard0: records, NextShardIterator, ChildShards" "$r" "0 null $shard3,$shard4"

# --- DeleteStream -------------------------------------------------------------------

call delete-stream --stream-name "$stream2" >/dev/null
ok "delete-stream $stream2"
call delete-stream --stream-name "$stream" >/dev/null
ok "delete-stream $stream"

if "$AWS" --endpoint-url "$endpoint" kinesis describe-stream --stream-name "$stream" >"$tmp/out" 2>"$tmp/err"; then
	fail "describe-stream $stream after delete-stream succeeded: $(cat "$tmp/out")"
fi
grep -q 'ResourceNotFoundException' "$tmp/err" ||
	fail "describe-stream $stream after delete-stream: want ResourceNotFoundException, got: $(cat "$tmp/err")"
ok "describe-stream $stream after delete-stream: $(grep ResourceNotFoundException "$tmp/err")"

echo "PASS: aws CLI smoke test against $endpoint"
