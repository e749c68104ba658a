package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// job is a profile or a trace of a process started from its page.
type job struct {
	ID, Kind string
	PID      int
	Duration time.Duration
	Started  time.Time
	Done     bool
	Error    string
	SVG      template.HTML // a profile's flame graph
	Files    []FileRow     // a trace's files
}

// Limits on what the pages may start.
const (
	maxJobDuration = time.Minute
	maxJobs        = 20 // kept, the oldest dropped first
)

// startJob starts a profile or a trace of the process, one at a time per
// process and kind, and sends the browser back to the process's page.
func (u *UI) startJob(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := u.checkCSRF(r); err != nil {
			u.fail(w, r, http.StatusForbidden, err)
			return
		}
		pid, err := strconv.Atoi(r.PathValue("pid"))
		if err != nil || pid <= 0 {
			u.fail(w, r, http.StatusBadRequest, fmt.Errorf("pid %q: want a positive number", r.PathValue("pid")))
			return
		}
		secs, err := strconv.Atoi(r.PostFormValue("seconds"))
		d := time.Duration(secs) * time.Second
		if err != nil || d <= 0 || d > maxJobDuration {
			u.fail(w, r, http.StatusBadRequest, fmt.Errorf("seconds %q: want 1 to %d", r.PostFormValue("seconds"), int(maxJobDuration.Seconds())))
			return
		}
		var id [6]byte
		rand.Read(id[:])
		j := &job{ID: hex.EncodeToString(id[:]), Kind: kind, PID: pid, Duration: d, Started: u.o.Now()}
		u.mu.Lock()
		for _, o := range u.jobs {
			if o.PID == pid && o.Kind == kind && !o.Done {
				u.mu.Unlock()
				u.fail(w, r, http.StatusConflict, fmt.Errorf("a %s of process %d is already running", kind, pid))
				return
			}
		}
		u.jobs[j.ID] = j
		u.pruneJobs()
		u.mu.Unlock()
		go u.run(j)
		http.Redirect(w, r, fmt.Sprintf("/process/%d#job-%s", pid, j.ID), http.StatusSeeOther)
	}
}

// run runs a job to its end; its results are kept in it.
func (u *UI) run(j *job) {
	ctx, cancel := context.WithTimeout(context.Background(), j.Duration+time.Minute)
	defer cancel()
	var (
		svg   []byte
		files []FileRow
		err   error
	)
	switch j.Kind {
	case "profile":
		svg, err = u.o.Actions.Profile(ctx, j.PID, j.Duration)
	case "trace":
		files, err = u.o.Actions.TraceFiles(ctx, j.PID, j.Duration)
	default:
		err = errors.New("unknown job")
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	j.Done = true
	if err != nil {
		j.Error = err.Error()
		return
	}
	j.SVG = template.HTML(svg) // WriteFlameGraph escapes every name it writes
	j.Files = files
}

// pruneJobs drops the oldest finished jobs past maxJobs; u.mu is held.
func (u *UI) pruneJobs() {
	for len(u.jobs) > maxJobs {
		var oldest *job
		for _, j := range u.jobs {
			if j.Done && (oldest == nil || j.Started.Before(oldest.Started)) {
				oldest = j
			}
		}
		if oldest == nil {
			return
		}
		delete(u.jobs, oldest.ID)
	}
}

// job answers the page's script: whether a job is done, and its result
// as HTML to put in the page.
func (u *UI) job(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u.mu.Lock()
	j, ok := u.jobs[id]
	var snapshot job
	if ok {
		snapshot = *j
	}
	u.mu.Unlock()
	if !ok || !validID(id) {
		http.Error(w, "no such job", http.StatusNotFound)
		return
	}
	var html string
	if snapshot.Done {
		var b bytes.Buffer
		if err := u.tmpl["process"].ExecuteTemplate(&b, "job", &snapshot); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		html = b.String()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Done bool   `json:"done"`
		HTML string `json:"html,omitempty"`
	}{snapshot.Done, html})
}
