// Package investigate follows the chain a person follows when a host's CPU
// is high — the host's CPU split, the processes behind it, their hot code
// in user space and in the kernel, the files they read and what each read
// costs — and writes what it found as a Report: a conclusion first, the
// evidence after, and every step that could not run with its reason.
package investigate

import "time"

// SchemaVersion is the version of the Report's JSON shape, documented in
// docs/investigation.md. It changes only when a field changes meaning or
// goes away; new fields may appear within a version.
const SchemaVersion = 1

// Report is one investigation.
type Report struct {
	Version  int       `json:"version"`
	ID       string    `json:"id"`
	Hostname string    `json:"hostname"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Target is what was asked for.
	Target Target `json:"target"`
	// Alert is the alert that started the investigation, if one did.
	Alert *Alert `json:"alert,omitempty"`
	// WindowSeconds is how long the suspect was profiled and traced.
	WindowSeconds float64 `json:"window_seconds"`
	// Conclusion comes first: what a person should act on.
	Conclusion Conclusion `json:"conclusion"`
	Host       Host       `json:"host"`
	// Suspects are the processes that used the most CPU, costliest first.
	Suspects []Suspect `json:"suspects"`
	// Profile is the main suspect's CPU profile, when one was taken.
	Profile *Profile `json:"profile,omitempty"`
	// Files are the main suspect's reads, file by file, when traced.
	Files *Files `json:"files,omitempty"`
	// Costs are the costliest files read again by mihari, to time them.
	Costs []Cost `json:"costs,omitempty"`
	// Steps say what ran, what was skipped and why.
	Steps []Step `json:"steps"`
	// Self is what the investigation cost.
	Self Self `json:"self"`
}

// Target is what an investigation was asked to look at.
type Target struct {
	// Mode is "auto" (the host, then the busiest processes), "pid" or
	// "name".
	Mode string `json:"mode"`
	PID  int    `json:"pid,omitempty"`
	Name string `json:"name,omitempty"`
}

// Alert is the alert behind an investigation.
type Alert struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"starts_at,omitzero"`
}

// Conclusion is the investigation's answer. Its sentences, like the other
// sentences of a report (Why, Abnormal, Reason), are plain text with paths
// and function names between backticks, which the renderers show as code.
type Conclusion struct {
	// Summary is the finding in a few sentences, with the numbers
	// measured.
	Summary string `json:"summary"`
	// Abnormal tells whether anything abnormal was found.
	Abnormal bool `json:"abnormal"`
	// Confidence is "high", "medium" or "low": how well the cause named
	// explains what was measured. "none" when nothing is abnormal.
	Confidence string `json:"confidence"`
	// Cause is what the conclusion blames, if anything.
	Cause Cause `json:"cause"`
	// Partial tells that some steps could not run; the steps say why.
	Partial bool `json:"partial"`
	// Evidence are short statements that back the summary.
	Evidence []string `json:"evidence"`
}

// Cause is what a conclusion blames.
type Cause struct {
	// Kind is "file", "function", "process" or "none".
	Kind string `json:"kind"`
	// Name is the file's path, the function's name or the process's
	// command name.
	Name string `json:"name,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// Host is the host's CPU.
type Host struct {
	CPUs int `json:"cpus"`
	// Now is the CPU split measured live, over NowSeconds.
	Now        CPUSplit `json:"now"`
	NowSeconds float64  `json:"now_seconds"`
	// Recent is the split over the recent past, from a running agent's
	// store; nil when no agent could be asked.
	Recent *Recent `json:"recent,omitempty"`
	// Abnormal lists what is out of the ordinary, in words.
	Abnormal []string `json:"abnormal"`
}

// CPUSplit is how all CPUs together spent a time, as fractions of it (0
// to 1). Busy is everything but idle and iowait.
type CPUSplit struct {
	User    float64 `json:"user"`
	Nice    float64 `json:"nice"`
	System  float64 `json:"system"`
	Iowait  float64 `json:"iowait"`
	IRQ     float64 `json:"irq"`
	SoftIRQ float64 `json:"softirq"`
	Steal   float64 `json:"steal"`
	Idle    float64 `json:"idle"`
	Busy    float64 `json:"busy"`
}

// Recent is the host's CPU over the recent past.
type Recent struct {
	// Source is where it came from, e.g. "agent http://127.0.0.1:9780".
	Source        string  `json:"source"`
	WindowSeconds float64 `json:"window_seconds"`
	// Average is the split over the window; MaxBusy the busiest minute.
	Average CPUSplit `json:"average"`
	MaxBusy float64  `json:"max_busy"`
}

// Suspect is a process that used CPU.
type Suspect struct {
	PID       int    `json:"pid"`
	Comm      string `json:"comm"`
	Cgroup    string `json:"cgroup,omitempty"`
	Container string `json:"container,omitempty"`
	// Cores, UserCores and SystemCores are the CPU it used, in cores
	// (1.0 is one CPU busy all the time).
	Cores       float64 `json:"cores"`
	UserCores   float64 `json:"user_cores"`
	SystemCores float64 `json:"system_cores"`
	// SystemFraction is SystemCores over Cores.
	SystemFraction float64 `json:"system_fraction"`
	// Why says in words why it is a suspect.
	Why string `json:"why"`
}

// Profile is the main suspect's CPU profile, summarized.
type Profile struct {
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Samples int    `json:"samples"`
	// KernelFraction is the share of samples taken in the kernel.
	KernelFraction float64 `json:"kernel_fraction"`
	// ReadPathFraction is the share of samples under the kernel's read
	// path (vfs_read and the system calls above it).
	ReadPathFraction float64 `json:"read_path_fraction"`
	// FilePathFraction is the share under the read path or the open and
	// close of files: for a process that reads small files over and over,
	// opening and closing them costs as much as reading.
	FilePathFraction float64 `json:"file_path_fraction"`
	TopUser          []Func  `json:"top_user"`
	// TopKernel leaves out the functions that only take the blame for
	// time with interrupts off (pvm_irq_enable, _raw_spin_unlock_irqrestore)
	// and those of the investigation's own tracing (BPF programs and
	// their helpers).
	TopKernel []Func `json:"top_kernel"`
	// KernelCallers are the user functions whose calls into the kernel
	// took the most samples.
	KernelCallers []Func `json:"kernel_callers"`
	// File is where the pprof profile was written, if it was.
	File string `json:"file,omitempty"`
}

// Func is a function's share of a profile's samples: in TopUser and
// TopKernel, of the samples taken in it (flat); in KernelCallers, of the
// samples in the kernel under it.
type Func struct {
	Name     string  `json:"name"`
	Fraction float64 `json:"fraction"`
}

// Files is what the main suspect read, file by file.
type Files struct {
	PID           int     `json:"pid"`
	WindowSeconds float64 `json:"window_seconds"`
	// ReadSeconds is the time the process spent in reads of regular
	// files, all files together.
	ReadSeconds float64    `json:"read_seconds"`
	Files       []FileRead `json:"files"`
}

// FileRead is one file's reads by the suspect.
type FileRead struct {
	Path         string  `json:"path"`
	Opens        uint64  `json:"opens"`
	Reads        uint64  `json:"reads"`
	Bytes        uint64  `json:"bytes"`
	ReadSeconds  float64 `json:"read_seconds"`
	MaxReadSecs  float64 `json:"max_read_seconds"`
	OpensPerMin  float64 `json:"opens_per_minute"`
	ShareOfReads float64 `json:"share_of_reads"`
}

// Cost is a file read again, in full, by mihari.
type Cost struct {
	Path          string  `json:"path"`
	Status        string  `json:"status"` // ok, hung, truncated, error
	Error         string  `json:"error,omitempty"`
	WallSeconds   float64 `json:"wall_seconds"`
	UserSeconds   float64 `json:"user_seconds"`
	SystemSeconds float64 `json:"system_seconds"`
	Bytes         int64   `json:"bytes"`
	Lines         int64   `json:"lines"`
}

// Step is one step of the chain.
type Step struct {
	// Name is "host", "recent", "suspects", "profile", "files" or "cost".
	Name string `json:"name"`
	// Status is "ok", "skipped" or "failed".
	Status string `json:"status"`
	// Reason says why a step was skipped or failed.
	Reason  string  `json:"reason,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Self is what the investigation cost: its wall time, its own CPU in all,
// and its CPU outside the profiling and tracing window (where the kernel,
// not mihari, does the work).
type Self struct {
	WallSeconds             float64 `json:"wall_seconds"`
	CPUSeconds              float64 `json:"cpu_seconds"`
	CPUSecondsOutsideWindow float64 `json:"cpu_seconds_outside_window"`
}
