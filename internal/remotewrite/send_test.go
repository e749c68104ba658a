package remotewrite_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage/remote"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/mihari-dev/mihari/internal/remotewrite"
	"github.com/mihari-dev/mihari/internal/store"
)

// TestSendsBothProtocols writes samples into a real store and requires a
// receiver built on Prometheus's own write handler, accepting only the
// protocol asked for, to get every one of them with the external label.
func TestSendsBothProtocols(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		msg      remoteapi.WriteMessageType
	}{
		{"1.0", remoteapi.WriteV1MessageType},
		{"2.0", remoteapi.WriteV2MessageType},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			recv, err := tsdb.Open(t.TempDir(), nil, nil, tsdb.DefaultOptions(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer recv.Close()
			var (
				mu    sync.Mutex
				types []string
			)
			h := remote.NewWriteHandler(nil, prometheus.NewRegistry(), recv, remoteapi.MessageTypes{tc.msg}, false, false)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				types = append(types, r.Header.Get("Content-Type"))
				mu.Unlock()
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()

			dir := t.TempDir()
			reg := prometheus.NewRegistry()
			w, err := remotewrite.New(remotewrite.Options{URLs: []string{srv.URL + "/api/v1/write"}, Protocol: tc.protocol,
				Labels: labels.FromStrings("fleet", "test"), Dir: dir, Registerer: reg, Gatherer: reg, MetricsRegisterer: prometheus.NewRegistry()}, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(store.Options{Path: dir, Labels: labels.FromStrings("job", "mihari", "instance", "h1")})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			w.SetCompactor(st.DB())
			st.SetWriteNotified(w)
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Close()

			// 20 series, 30 samples each, a second apart from now on.
			start := time.Now().Add(time.Second).UnixMilli()
			for i := range 30 {
				app := st.DB().Appender(context.Background())
				for s := range 20 {
					l := labels.FromStrings("__name__", "m", "job", "mihari", "instance", "h1", "s", fmt.Sprint(s))
					if _, err := app.Append(0, l, start+int64(i)*1000, float64(i*s)); err != nil {
						t.Fatal(err)
					}
				}
				if err := app.Commit(); err != nil {
					t.Fatal(err)
				}
				w.Notify()
			}
			deadline := time.Now().Add(30 * time.Second)
			var got int
			for {
				got = count(t, recv, start)
				if got == 600 || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got != 600 {
				t.Fatalf("the receiver has %d of 600 samples", got)
			}
			mu.Lock()
			defer mu.Unlock()
			// 1.0 is plain protobuf; 2.0 names its message.
			if v2 := len(types) > 0 && strings.Contains(types[0], "io.prometheus.write.v2.Request"); len(types) == 0 || v2 != (tc.protocol == "2.0") {
				t.Errorf("content types %q for protocol %s", types, tc.protocol)
			}
		})
	}
}

// count is the number of samples of m{fleet="test"} in db since start.
func count(t *testing.T, db *tsdb.DB, start int64) int {
	q, err := db.Querier(start, start+time.Hour.Milliseconds())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", "m"), labels.MustNewMatcher(labels.MatchEqual, "fleet", "test"))
	n := 0
	for ss.Next() {
		it := ss.At().Iterator(nil)
		for it.Next() != 0 {
			n++
		}
	}
	return n
}
