package alert

import "container/list"

// queue holds the alerts waiting for one destination, in order of arrival,
// at most one state per fingerprint. It is not safe for concurrent use;
// its destination locks it.
type queue struct {
	capacity int
	order    *list.List // of *entry, oldest first
	byFP     map[string]*list.Element
	seq      uint64
}

// entry is one queued alert state. seq changes whenever a newer state
// replaces the alert, so that a delivery of the older state does not
// remove the newer one.
type entry struct {
	alert Alert
	fp    string
	seq   uint64
}

func newQueue(capacity int) *queue {
	return &queue{capacity: capacity, order: list.New(), byFP: map[string]*list.Element{}}
}

// push queues a, or replaces the queued state of the same alert in place:
// the alert keeps the place it has waited for, so that one re-sent on
// every rule evaluation is not pushed back behind newer ones. It returns
// how many of the oldest alerts it dropped to stay within capacity.
func (q *queue) push(a Alert, fp string) (dropped int) {
	q.seq++
	if el, ok := q.byFP[fp]; ok {
		el.Value = &entry{alert: a, fp: fp, seq: q.seq}
		return 0
	}
	for q.order.Len() >= q.capacity {
		oldest := q.order.Front()
		delete(q.byFP, oldest.Value.(*entry).fp)
		q.order.Remove(oldest)
		dropped++
	}
	q.byFP[fp] = q.order.PushBack(&entry{alert: a, fp: fp, seq: q.seq})
	return dropped
}

// peek returns copies of up to n of the oldest entries, which stay queued
// until ack.
func (q *queue) peek(n int) []entry {
	var batch []entry
	for el := q.order.Front(); el != nil && len(batch) < n; el = el.Next() {
		batch = append(batch, *el.Value.(*entry))
	}
	return batch
}

// ack removes the delivered entries, except those replaced by a newer
// state (or dropped) since peek.
func (q *queue) ack(sent []entry) {
	for _, s := range sent {
		if el, ok := q.byFP[s.fp]; ok && el.Value.(*entry).seq == s.seq {
			q.order.Remove(el)
			delete(q.byFP, s.fp)
		}
	}
}

func (q *queue) len() int { return q.order.Len() }
