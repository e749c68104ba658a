package top

import (
	"encoding/json"
	"io"
	"time"
)

// The JSON form of a Frame, one object per line; JSONShape documents it
// for the command's help, and a test keeps the two in step.
type jsonFrame struct {
	Time            time.Time      `json:"time"`
	IntervalSeconds float64        `json:"interval_seconds"`
	Sort            string         `json:"sort"`
	Filter          string         `json:"filter"`
	Host            jsonHost       `json:"host"`
	Monitoring      jsonMonitoring `json:"monitoring"`
	Processes       []jsonProcess  `json:"processes"`
}

type jsonHost struct {
	CPU       jsonCPU    `json:"cpu"`
	CPUs      int        `json:"cpus"`
	Load1     float64    `json:"load1"`
	Load5     float64    `json:"load5"`
	Load15    float64    `json:"load15"`
	Memory    jsonMemory `json:"memory"`
	Processes int        `json:"processes"`
	Running   int        `json:"running"`
}

type jsonCPU struct {
	User    float64 `json:"user"`
	Nice    float64 `json:"nice"`
	System  float64 `json:"system"`
	Idle    float64 `json:"idle"`
	Iowait  float64 `json:"iowait"`
	IRQ     float64 `json:"irq"`
	SoftIRQ float64 `json:"softirq"`
	Steal   float64 `json:"steal"`
}

type jsonMemory struct {
	Total     uint64 `json:"total"`
	Available uint64 `json:"available"`
	Used      uint64 `json:"used"`
}

type jsonMonitoring struct {
	SelfPID        int         `json:"self_pid"`
	SelfCPU        float64     `json:"self_cpu_percent"`
	SourcesCPU     float64     `json:"sources_cpu_seconds_per_second"`
	Costliest      string      `json:"costliest_source"`
	CostliestCPU   float64     `json:"costliest_cpu_seconds_per_second"`
	CostliestReads int64       `json:"costliest_reads"`
	Others         []jsonAgent `json:"other_mihari"`
}

type jsonAgent struct {
	PID int     `json:"pid"`
	CPU float64 `json:"cpu_percent"`
}

type jsonProcess struct {
	PID       int      `json:"pid"`
	User      string   `json:"user"`
	UID       uint64   `json:"uid"`
	CPU       float64  `json:"cpu_percent"`
	UserCPU   float64  `json:"user_percent"`
	SysCPU    float64  `json:"system_percent"`
	RSS       uint64   `json:"rss_bytes"`
	ReadRate  *float64 `json:"read_bytes_per_second"`
	WriteRate *float64 `json:"write_bytes_per_second"`
	Threads   int64    `json:"threads"`
	State     string   `json:"state"`
	Container string   `json:"container"`
	Cgroup    string   `json:"cgroup"`
	Comm      string   `json:"comm"`
}

// JSONShape describes the JSON form of a frame, for the command's help.
const JSONShape = `  {"time": "2026-11-25T16:39:32.443Z", "interval_seconds": 2.0,
   "sort": "cpu", "filter": "",
   "host": {"cpu": {"user": 12.5, "nice": 0, "system": 4.1, "idle": 82.9,
                    "iowait": 0.3, "irq": 0, "softirq": 0.2, "steal": 0},
            "cpus": 4, "load1": 0.52, "load5": 0.48, "load15": 0.4,
            "memory": {"total": 16663719936, "available": 13207474176, "used": 3456245760},
            "processes": 312, "running": 2},
   "monitoring": {"self_pid": 4242, "self_cpu_percent": 0.6,
                  "sources_cpu_seconds_per_second": 0.0041,
                  "costliest_source": "/proc/[pid]/status",
                  "costliest_cpu_seconds_per_second": 0.00021, "costliest_reads": 1312,
                  "other_mihari": [{"pid": 812, "cpu_percent": 1.2}]},
   "processes": [{"pid": 1234, "user": "root", "uid": 0, "cpu_percent": 98.5,
                  "user_percent": 60.5, "system_percent": 38.0, "rss_bytes": 5242880,
                  "read_bytes_per_second": 0, "write_bytes_per_second": 4096,
                  "threads": 1, "state": "R", "container": "kubelet.service",
                  "cgroup": "/system.slice/kubelet.service", "comm": "kubelet"}]}`

// WriteJSON writes f as one line of JSON with at most limit processes (0
// for all) in v's order and filter. CPU is in percent (of all CPUs for
// host.cpu, of one CPU for processes and monitoring), memory in bytes,
// rates per second; the I/O rates are null when /proc/PID/io could not be
// read.
func WriteJSON(w io.Writer, f *Frame, v View, limit int) error {
	rows := Arrange(f.Rows, v.Sort, v.Filter)
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	h, m := f.Host, f.Monitoring
	out := jsonFrame{
		Time:            f.Time,
		IntervalSeconds: f.Interval.Seconds(),
		Sort:            v.Sort.String(),
		Filter:          v.Filter,
		Host: jsonHost{
			CPU: jsonCPU{
				User: h.CPU.User, Nice: h.CPU.Nice, System: h.CPU.System, Idle: h.CPU.Idle,
				Iowait: h.CPU.Iowait, IRQ: h.CPU.IRQ, SoftIRQ: h.CPU.SoftIRQ, Steal: h.CPU.Steal,
			},
			CPUs:  h.NCPU,
			Load1: h.Load1, Load5: h.Load5, Load15: h.Load15,
			Memory:    jsonMemory{Total: h.MemTotal, Available: h.MemAvailable, Used: h.MemUsed},
			Processes: h.Processes,
			Running:   h.Running,
		},
		Monitoring: jsonMonitoring{
			SelfPID: m.SelfPID, SelfCPU: m.SelfCPU, SourcesCPU: m.SourcesCPU,
			Costliest: m.Costliest, CostliestCPU: m.CostliestCPU, CostliestReads: m.CostliestReads,
			Others: make([]jsonAgent, 0, len(m.Others)),
		},
		Processes: make([]jsonProcess, 0, len(rows)),
	}
	for _, a := range m.Others {
		out.Monitoring.Others = append(out.Monitoring.Others, jsonAgent(a))
	}
	for _, r := range rows {
		p := jsonProcess{
			PID: r.PID, User: r.User, UID: r.UID,
			CPU: r.CPU, UserCPU: r.UserCPU, SysCPU: r.SysCPU,
			RSS: r.RSS, Threads: r.Threads, State: string(rune(r.State)),
			Container: r.Container, Cgroup: r.Cgroup, Comm: r.Comm,
		}
		if r.IOKnown {
			rr, wr := r.ReadRate, r.WriteRate
			p.ReadRate, p.WriteRate = &rr, &wr
		}
		out.Processes = append(out.Processes, p)
	}
	return json.NewEncoder(w).Encode(out)
}
