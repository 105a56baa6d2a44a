package kinesis

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/tributary-edge/tributary/spool"
)

// The Firehose Direct PUT API (kinesis.md §4): PutRecord and
// PutRecordBatch write into a delivery's source stream, durably, before
// the answer; ListDeliveryStreams and DescribeDeliveryStream show the
// gateway's deliveries. Target prefix Firehose_20150804, the same front
// end (check order, errors, SigV4 with service "firehose") as Kinesis.

const firehoseService = "Firehose_20150804"

// DeliveryStream is a delivery as the Firehose API shows it.
type DeliveryStream struct {
	Name    string
	Stream  string // the source stream Direct PUT writes to
	Created time.Time
}

const (
	firehoseMaxRecordBytes = 1_024_000 // per record, before base64
	firehoseMaxBatchBytes  = 4 << 20
)

func deliveryNameField() field {
	return field{name: "DeliveryStreamName", kind: kString, checks: []check{notNull(), regex(namePattern), minLen(1), maxLen(64)}}
}

func firehoseRecordField() *field {
	return &field{kind: kStruct, fields: []field{{name: "Data", kind: kBlob, checks: []check{notNull(), maxLen(firehoseMaxRecordBytes)}}}}
}

var firehoseSchemas = map[string][]field{
	"PutRecord": {deliveryNameField(), func() field {
		f := *firehoseRecordField()
		f.name, f.checks = "Record", []check{notNull()}
		return f
	}()},
	"PutRecordBatch": {deliveryNameField(), {name: "Records", kind: kList, elem: firehoseRecordField(),
		checks: []check{notNull(), minLen(1), maxLen(500)}, memberStr: "com.amazonaws.firehose.model.Record"}},
	"ListDeliveryStreams": {intField("Limit", false, 1, 10000),
		{name: "DeliveryStreamType", kind: kString, checks: []check{enum("DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource")}},
		{name: "ExclusiveStartDeliveryStreamName", kind: kString, checks: []check{regex(namePattern), minLen(1), maxLen(64)}}},
	"DescribeDeliveryStream": {deliveryNameField(), intField("Limit", false, 1, 10000),
		{name: "ExclusiveStartDestinationId", kind: kString, checks: []check{minLen(1), maxLen(100)}}},
}

var firehoseOps = map[string]opFunc{
	"PutRecord":              (*Handler).firehosePutRecord,
	"PutRecordBatch":         (*Handler).firehosePutRecordBatch,
	"ListDeliveryStreams":    (*Handler).firehoseList,
	"DescribeDeliveryStream": (*Handler).firehoseDescribe,
}

func (h *Handler) deliveryStream(name string) (DeliveryStream, *apiError) {
	if h.cfg.Deliveries != nil {
		for _, d := range h.cfg.Deliveries() {
			if d.Name == name {
				return d, nil
			}
		}
	}
	return DeliveryStream{}, newError(errResourceNotFound, "Firehose %s under account %s not found.", name, h.cfg.AccountID)
}

// recordID is a Firehose RecordId: random, as Firehose's are (records
// carry no partition key, so it also spreads them over the shards).
func recordID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (h *Handler) firehosePut(q *request, data [][]byte) ([]spool.PutResult, []string, *apiError) {
	name := q.in["DeliveryStreamName"].(string)
	ds, e := h.deliveryStream(name)
	if e != nil {
		return nil, nil, e
	}
	recs := make([]spool.Record, len(data))
	ids := make([]string, len(data))
	for i, d := range data {
		ids[i] = recordID()
		recs[i] = spool.Record{PartitionKey: ids[i], Data: d}
	}
	res, err := h.sp.Append(q.ctx, ds.Stream, recs)
	if err != nil {
		return nil, nil, h.spoolError(err, ds.Stream)
	}
	return res, ids, nil
}

func (h *Handler) firehosePutRecord(q *request) (any, *apiError) {
	data := q.in["Record"].(map[string]any)["Data"].([]byte)
	res, ids, e := h.firehosePut(q, [][]byte{data})
	if e != nil {
		return nil, e
	}
	if res[0].Err != nil {
		ae := h.spoolError(res[0].Err, "")
		return nil, &apiError{Type: "ServiceUnavailableException", Message: ae.Message, Status: 503}
	}
	return map[string]any{"RecordId": ids[0], "Encrypted": false}, nil
}

func (h *Handler) firehosePutRecordBatch(q *request) (any, *apiError) {
	in := q.in["Records"].([]any)
	data := make([][]byte, len(in))
	total := 0
	for i, r := range in {
		data[i] = r.(map[string]any)["Data"].([]byte)
		total += len(data[i])
	}
	if total > firehoseMaxBatchBytes {
		return nil, newError(errInvalidArgument, "Records size exceeds 4 MiB limit")
	}
	res, ids, e := h.firehosePut(q, data)
	if e != nil {
		return nil, e
	}
	failed := 0
	out := make([]map[string]any, len(res))
	for i, r := range res {
		if r.Err != nil {
			failed++
			out[i] = map[string]any{"ErrorCode": "ServiceUnavailableException", "ErrorMessage": h.spoolError(r.Err, "").Message}
			continue
		}
		out[i] = map[string]any{"RecordId": ids[i]}
	}
	return map[string]any{"FailedPutCount": failed, "Encrypted": false, "RequestResponses": out}, nil
}

func (h *Handler) firehoseList(q *request) (any, *apiError) {
	var names []string
	if h.cfg.Deliveries != nil {
		for _, d := range h.cfg.Deliveries() {
			names = append(names, d.Name)
		}
	}
	slices.Sort(names)
	if typ, ok := q.in["DeliveryStreamType"].(string); ok && typ != "DirectPut" {
		names = nil
	}
	if after, ok := q.in["ExclusiveStartDeliveryStreamName"].(string); ok {
		names = names[sort.SearchStrings(names, after+"\x00"):]
	}
	limit := 10
	if n, ok := q.in["Limit"].(int64); ok {
		limit = int(n)
	}
	more := len(names) > limit
	if more {
		names = names[:limit]
	}
	return map[string]any{"DeliveryStreamNames": append([]string{}, names...), "HasMoreDeliveryStreams": more}, nil
}

func (h *Handler) firehoseDescribe(q *request) (any, *apiError) {
	ds, e := h.deliveryStream(q.in["DeliveryStreamName"].(string))
	if e != nil {
		return nil, e
	}
	return map[string]any{"DeliveryStreamDescription": map[string]any{
		"DeliveryStreamName":   ds.Name,
		"DeliveryStreamARN":    fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", h.cfg.Region, h.cfg.AccountID, ds.Name),
		"DeliveryStreamStatus": "ACTIVE",
		"DeliveryStreamType":   "DirectPut",
		"VersionId":            "1",
		"CreateTimestamp":      ts(ds.Created),
		"Destinations":         []map[string]any{{"DestinationId": "destinationId-000000000001"}},
		"HasMoreDestinations":  false,
	}}, nil
}
