package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"

	"github.com/mihari-dev/mihari/internal/alert"
	"github.com/mihari-dev/mihari/test/testenv"
)

// amConfig routes every alert to a receiver that notifies nobody: the test
// reads the alerts back from Alertmanager's API.
const amConfig = `route:
  receiver: blackhole
receivers:
  - name: blackhole
`

// amAlert is the part of Alertmanager's gettableAlert the test checks.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// TestAlertmanager delivers alerts with internal/alert to Debian's real
// Alertmanager, behind basic authentication: a firing alert must show in
// its API with its labels, annotations and fingerprint; an alert that
// fires while Alertmanager is stopped must arrive once it runs again on
// the same port and storage.
func TestAlertmanager(t *testing.T) {
	am := testenv.RequireProgram(t, "prometheus-alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(amConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webCfg, []byte("basic_auth_users:\n  mihari: "+string(hash)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	args := []string{
		"--config.file=" + cfg,
		"--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		"--web.config.file=" + webCfg,
		"--cluster.listen-address=", // no clustering, no second port
	}
	ready := "http://" + addr + "/-/ready"
	cmd := startServer(t, ready, am, args...)

	n, err := alert.New(alert.Options{Alertmanagers: []string{"http://mihari:s3cret@" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		n.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()

	now := time.Now()
	first := alert.Alert{
		Labels:       map[string]string{"alertname": "MihariE2E", "instance": "host1", "severity": "warning"},
		Annotations:  map[string]string{"summary": "load is high on host1"},
		StartsAt:     now,
		EndsAt:       now.Add(time.Hour),
		GeneratorURL: "http://mihari.test:9780/alerts",
	}
	n.Send(first)
	want := amAlert{Labels: first.Labels, Annotations: first.Annotations, GeneratorURL: first.GeneratorURL, Fingerprint: first.Fingerprint()}
	want.Status.State = "active"
	if diff := cmp.Diff(want, amWaitForAlert(t, addr, "MihariE2E")); diff != "" {
		t.Errorf("Alertmanager has (-want +have):\n%s", diff)
	}

	// Stopped, Alertmanager refuses the next alert, which stays queued.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	second := alert.Alert{
		Labels:      map[string]string{"alertname": "MihariE2EWhileDown", "instance": "host1"},
		Annotations: map[string]string{"summary": "fired while Alertmanager was down"},
		StartsAt:    time.Now(),
		EndsAt:      time.Now().Add(time.Hour),
	}
	n.Send(second)
	amPoll(t, "the refused delivery", func() bool {
		d := n.Destinations()[0]
		return !d.Up && d.Queued == 1
	})

	startServer(t, ready, am, args...)
	want = amAlert{Labels: second.Labels, Annotations: second.Annotations, Fingerprint: second.Fingerprint()}
	want.Status.State = "active"
	if diff := cmp.Diff(want, amWaitForAlert(t, addr, "MihariE2EWhileDown")); diff != "" {
		t.Errorf("Alertmanager has (-want +have):\n%s", diff)
	}
	amPoll(t, "the destination to be up", func() bool {
		d := n.Destinations()[0]
		return d.Up && d.Queued == 0 && d.LastError == ""
	})
}

// amWaitForAlert polls Alertmanager until it has the alert named name.
func amWaitForAlert(t *testing.T, addr, name string) amAlert {
	t.Helper()
	var found amAlert
	amPoll(t, "alert "+name+" in Alertmanager", func() bool {
		alerts, err := amGetAlerts(addr)
		if err != nil {
			t.Log(err)
			return false
		}
		for _, a := range alerts {
			if a.Labels["alertname"] == name {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

func amGetAlerts(addr string) ([]amAlert, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("mihari", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: %s", resp.Status)
	}
	var alerts []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		return nil, fmt.Errorf("decoding Alertmanager's alerts: %w", err)
	}
	return alerts, nil
}

// amPoll waits until cond holds, and fails the test after 30s.
func amPoll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
