package collect

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	srcLabels = []string{"source"}

	srcReadsDesc = prometheus.NewDesc("mihari_source_reads_total",
		"Reads of host files (or directory listings, statfs calls) completed by mihari, per source pattern.", srcLabels, nil)
	srcReadSecondsDesc = prometheus.NewDesc("mihari_source_read_seconds_total",
		"Wall-clock seconds spent in completed reads, per source pattern.", srcLabels, nil)
	srcCPUDesc = prometheus.NewDesc("mihari_source_cpu_seconds_total",
		"CPU seconds the reading thread used during reads, split into user and system (kernel) mode.", []string{"source", "mode"}, nil)
	srcBytesDesc = prometheus.NewDesc("mihari_source_bytes_total",
		"Bytes read, per source pattern.", srcLabels, nil)
	srcErrorsDesc = prometheus.NewDesc("mihari_source_errors_total",
		"Reads that failed (missing files are not failures), per source pattern.", srcLabels, nil)
	srcTimeoutsDesc = prometheus.NewDesc("mihari_source_timeouts_total",
		"Reads that took longer than the source's deadline, per source pattern.", srcLabels, nil)
	srcStaleDesc = prometheus.NewDesc("mihari_source_stale",
		"1 while some file of the source is late: its last good value, if it has one, is served instead of a fresh read.", srcLabels, nil)
	srcLastReadDesc = prometheus.NewDesc("mihari_source_last_read_seconds",
		"Longest wall-clock seconds of a read of the source since the previous scrape (the one before, when none completed since); a read still in flight counts with its age so far.", srcLabels, nil)
	srcInflightDesc = prometheus.NewDesc("mihari_source_inflight",
		"Reads of the source currently outstanding (a read stuck in the kernel stays here until it returns).", srcLabels, nil)
	srcCacheDesc = prometheus.NewDesc("mihari_source_cache_bytes",
		"Bytes of last good values kept to serve when a read is late.", nil, nil)
)

// Describe implements prometheus.Collector for the Reader's own accounting.
func (r *Reader) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{srcReadsDesc, srcReadSecondsDesc, srcCPUDesc, srcBytesDesc,
		srcErrorsDesc, srcTimeoutsDesc, srcStaleDesc, srcLastReadDesc, srcInflightDesc, srcCacheDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: mihari_source_* for every source.
func (r *Reader) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
	}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	for _, s := range r.Sources() {
		s.takeWindow()
		st := s.Stats()
		if st.Reads == 0 && st.Inflight == 0 && st.Errors == 0 && st.Timeouts == 0 {
			// Declared but not used (yet): cmdline of processes when no
			// rule needs it, say. Not worth ten series of zeros.
			continue
		}
		p := st.Pattern
		counter(srcReadsDesc, float64(st.Reads), p)
		counter(srcReadSecondsDesc, st.Wall.Seconds(), p)
		counter(srcCPUDesc, st.User.Seconds(), p, "user")
		counter(srcCPUDesc, st.System.Seconds(), p, "system")
		counter(srcBytesDesc, float64(st.Bytes), p)
		counter(srcErrorsDesc, float64(st.Errors), p)
		counter(srcTimeoutsDesc, float64(st.Timeouts), p)
		stale := 0.0
		if st.Stale > 0 {
			stale = 1
		}
		gauge(srcStaleDesc, stale, p)
		gauge(srcLastReadDesc, st.LastRead.Seconds(), p)
		gauge(srcInflightDesc, float64(st.Inflight), p)
	}
	gauge(srcCacheDesc, float64(r.cacheUsed.Load()))
}
