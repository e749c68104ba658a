package alert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fps lists the fingerprints of entries, as the tests name them.
func fps(es []entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.fp)
	}
	return out
}

func summary(a Alert) string { return a.Annotations["summary"] }

func state(s string) Alert { return Alert{Annotations: map[string]string{"summary": s}} }

func TestQueue(t *testing.T) {
	q := newQueue(3)
	for _, fp := range []string{"a", "b", "c"} {
		if dropped := q.push(state(fp+"1"), fp); dropped != 0 {
			t.Fatalf("push %s dropped %d", fp, dropped)
		}
	}
	// A newer state of b takes b's place.
	q.push(state("b2"), "b")
	batch := q.peek(2)
	if diff := cmp.Diff([]string{"a", "b"}, fps(batch)); diff != "" {
		t.Errorf("peek (-want +have):\n%s", diff)
	}
	if have := summary(batch[1].alert); have != "b2" {
		t.Errorf("have b's state %q, want b2", have)
	}

	// b changes again while the batch is in flight: the newer state stays.
	q.push(state("b3"), "b")
	q.ack(batch)
	rest := q.peek(10)
	if diff := cmp.Diff([]string{"b", "c"}, fps(rest)); diff != "" {
		t.Errorf("after ack (-want +have):\n%s", diff)
	}
	if have := summary(rest[0].alert); have != "b3" {
		t.Errorf("have b's state %q, want b3", have)
	}

	// Full: the oldest go.
	q.push(state("d1"), "d")
	if dropped := q.push(state("e1"), "e"); dropped != 1 {
		t.Errorf("have %d dropped, want 1", dropped)
	}
	if diff := cmp.Diff([]string{"c", "d", "e"}, fps(q.peek(10))); diff != "" {
		t.Errorf("after drop (-want +have):\n%s", diff)
	}
	// A replacement never drops.
	if dropped := q.push(state("e2"), "e"); dropped != 0 || q.len() != 3 {
		t.Errorf("replacement dropped %d, left %d", dropped, q.len())
	}

	// Acking entries dropped meanwhile is harmless.
	batch = q.peek(3)
	q.push(state("f1"), "f") // drops c
	q.ack(batch)
	if diff := cmp.Diff([]string{"f"}, fps(q.peek(10))); diff != "" {
		t.Errorf("after ack of dropped (-want +have):\n%s", diff)
	}
}
