package broker

import (
	"context"
	"sync"
	"time"

	"github.com/tributary-edge/tributary/ingest"
	"github.com/tributary-edge/tributary/ingest/route"
	"github.com/tributary-edge/tributary/spool"
)

// qos0Queue stores QoS 0 messages best-effort: a bounded queue drained by
// one goroutine in batches. When it is full, messages are dropped and
// counted (and the count is logged every minute), never blocking a client.
type qos0Queue struct {
	b    *Broker
	ch   chan qos0Item
	wg   sync.WaitGroup
	stop chan struct{}
}

type qos0Item struct {
	msg route.Message
	res route.Result
}

func newQoS0Queue(b *Broker, size int) *qos0Queue {
	q := &qos0Queue{b: b, ch: make(chan qos0Item, size), stop: make(chan struct{})}
	q.wg.Add(1)
	go q.run()
	return q
}

func (q *qos0Queue) offer(msg route.Message, res route.Result) {
	select {
	case q.ch <- qos0Item{msg, res}:
	default:
		q.b.droppedQoS0.Add(1)
	}
}

// close stores what is queued and stops.
func (q *qos0Queue) close() {
	close(q.stop)
	q.wg.Wait()
}

func (q *qos0Queue) run() {
	defer q.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	var lastDropped int64
	for {
		select {
		case it := <-q.ch:
			q.storeBatch(it)
		case <-tick.C:
			if d := q.b.droppedQoS0.Load(); d > lastDropped {
				q.b.log.Warn("QoS 0 queue full: messages dropped", "dropped", d-lastDropped, "queue", cap(q.ch))
				lastDropped = d
			}
		case <-q.stop:
			for {
				select {
				case it := <-q.ch:
					q.storeBatch(it)
				default:
					return
				}
			}
		}
	}
}

// deadLetter stores a QoS 0 message that cannot be stored as asked in the
// dead-letter stream, as the QoS 1 path does; if even that fails it is
// counted as dropped.
func (q *qos0Queue) deadLetter(it qos0Item, reason string) {
	if v, _ := q.b.storer.DeadLetter(context.Background(), it.msg, reason); !v.Acked() {
		q.b.droppedQoS0.Add(1)
	}
}

// storeBatch appends first and whatever else is queued, per stream.
func (q *qos0Queue) storeBatch(first qos0Item) {
	byStream := map[string][]spool.Record{}
	items := []qos0Item{first}
gather:
	for len(items) < 500 {
		select {
		case it := <-q.ch:
			items = append(items, it)
		default:
			break gather
		}
	}
	byStreamItems := map[string][]qos0Item{}
	for _, it := range items {
		if it.res.Reject != "" {
			q.deadLetter(it, it.res.Reject)
			continue
		}
		byStream[it.res.Stream] = append(byStream[it.res.Stream], spool.Record{PartitionKey: it.res.PartitionKey, Data: it.res.Data})
		byStreamItems[it.res.Stream] = append(byStreamItems[it.res.Stream], it)
	}
	for stream, recs := range byStream {
		its := byStreamItems[stream]
		res, err := q.b.storer.App.Append(context.Background(), stream, recs)
		if err != nil {
			if ingest.DeadLetterable(err) {
				for _, it := range its {
					q.deadLetter(it, err.Error())
				}
				continue
			}
			q.b.droppedQoS0.Add(int64(len(recs)))
			q.b.log.Warn("QoS 0 messages not stored", "stream", stream, "records", len(recs), "err", err)
			continue
		}
		for i, r := range res {
			switch {
			case r.Err == nil:
				q.b.counts.Stored.Add(1)
			case ingest.DeadLetterable(r.Err):
				q.deadLetter(its[i], r.Err.Error())
			default:
				q.b.droppedQoS0.Add(1)
			}
		}
	}
}
