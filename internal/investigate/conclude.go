package investigate

import (
	"fmt"
	"strconv"
	"strings"
)

// conclude writes the conclusion from what the steps found: what is
// abnormal, who, where in its code, which file, and how sure that is.
func (inv *investigation) conclude() {
	r := inv.r
	c := &r.Conclusion
	c.Cause = Cause{Kind: "none"}
	h := r.Host.Now
	hostLine := fmt.Sprintf("The host's %d CPUs are %s busy (user %s, system %s, iowait %s, steal %s).",
		r.Host.CPUs, pct(h.Busy), pct(h.User+h.Nice), pct(h.System+h.IRQ+h.SoftIRQ), pct(h.Iowait), pct(h.Steal))
	if r.Host.CPUs == 0 {
		hostLine = "The host could not be read."
	}
	m := inv.main
	if m == nil {
		c.Confidence = "none"
		switch {
		case r.Target.Mode == "pid" || r.Target.Mode == "name":
			c.Confidence = "low"
			c.Summary = capitalize(stepReason(r, "suspects")) + ": nothing to investigate. " + hostLine
		case r.Host.CPUs == 0:
			c.Summary = hostLine
			c.Confidence = "low"
		case len(r.Host.Abnormal) > 0:
			c.Abnormal = true
			c.Confidence = "low"
			c.Summary = hostLine + " " + capitalize(strings.Join(r.Host.Abnormal, "; ")) + ", but no single process uses much of it: the time is spread over many processes, or spent outside them (interrupts, the hypervisor)."
		default:
			busiest := "no process used measurable CPU"
			if b := inv.busiest; b != nil {
				busiest = fmt.Sprintf("the busiest process, %s (pid %d), uses %.2f cores", b.Comm, b.PID, b.CPU/100)
			}
			c.Summary = "Nothing is abnormal. " + hostLine + " " + capitalize(busiest) + "."
		}
		c.Evidence = append(c.Evidence, r.Host.Abnormal...)
		return
	}

	c.Abnormal = true
	s := r.Suspects[0]
	who := fmt.Sprintf("PID %d `%s`", m.PID, m.Comm)
	if s.Container != "" && s.Container != "-" {
		who += " (container " + s.Container + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s uses %.2f cores, %s of it in the kernel.", who, s.Cores, pct(s.SystemFraction))
	c.Cause = Cause{Kind: "process", Name: m.Comm, PID: m.PID}
	c.Confidence = "low"
	c.Evidence = append(c.Evidence, r.Host.Abnormal...)
	c.Evidence = append(c.Evidence, fmt.Sprintf("%s: %s", who, s.Why))
	if inv.exited > 0 {
		fmt.Fprintf(&b, " It exited during the investigation; this report covers what was measured before.")
	}
	p := r.Profile
	if p == nil {
		fmt.Fprintf(&b, " Its code could not be profiled (%s).", stepReason(r, "profile"))
		c.Summary = b.String()
		return
	}
	kernel := p.KernelFraction >= kernelHeavy
	if !kernel {
		// User time: the hot function is the answer.
		if len(p.TopUser) == 0 {
			c.Summary = b.String()
			return
		}
		f := p.TopUser[0]
		fmt.Fprintf(&b, " %s of its samples are in `%s`.", pct(f.Fraction), f.Name)
		c.Cause = Cause{Kind: "function", Name: f.Name, PID: m.PID}
		switch {
		case f.Fraction >= 0.5:
			c.Confidence = "high"
			fmt.Fprintf(&b, " `%s` is where its CPU goes; no file is involved: its time is in user space.", f.Name)
		case f.Fraction >= 0.2:
			c.Confidence = "medium"
			fmt.Fprintf(&b, " `%s` is the largest part; the rest is spread over other functions.", f.Name)
		default:
			fmt.Fprintf(&b, " Its time is spread over many functions; no single one explains it.")
		}
		for _, u := range p.TopUser[:min(3, len(p.TopUser))] {
			c.Evidence = append(c.Evidence, fmt.Sprintf("%s of samples in `%s`", pct(u.Fraction), u.Name))
		}
		c.Summary = b.String()
		return
	}

	// Kernel time: where it comes from.
	fmt.Fprintf(&b, " %s of its samples are in the kernel", pct(p.KernelFraction))
	if p.FilePathFraction > 0 {
		fmt.Fprintf(&b, ", %s opening, reading and closing files (%s reading)", pct(p.FilePathFraction), pct(p.ReadPathFraction))
	}
	if len(p.KernelCallers) > 0 {
		fmt.Fprintf(&b, ", under `%s`", p.KernelCallers[0].Name)
	}
	b.WriteString(".")
	c.Evidence = append(c.Evidence, fmt.Sprintf("%s of samples in the kernel, %s in the read path (vfs_read and below), %s in the open, read and close of files", pct(p.KernelFraction), pct(p.ReadPathFraction), pct(p.FilePathFraction)))
	for _, k := range p.TopKernel[:min(3, len(p.TopKernel))] {
		c.Evidence = append(c.Evidence, fmt.Sprintf("kernel function `%s`: %s of samples", k.Name, pct(k.Fraction)))
	}
	files := r.Files
	if files == nil || len(files.Files) == 0 || files.ReadSeconds == 0 {
		if files == nil {
			fmt.Fprintf(&b, " Its reads could not be traced (%s).", stepReason(r, "files"))
		} else {
			b.WriteString(" It spent no measurable time reading files while traced.")
		}
		if len(p.TopKernel) > 0 {
			c.Cause = Cause{Kind: "function", Name: p.TopKernel[0].Name, PID: m.PID}
			fmt.Fprintf(&b, " The kernel's time is mostly in `%s` (%s of samples).", p.TopKernel[0].Name, pct(p.TopKernel[0].Fraction))
			c.Confidence = "low"
		}
		c.Summary = b.String()
		return
	}
	top := files.Files[0]
	fmt.Fprintf(&b, " It read `%s` %s times a minute", top.Path, count(int64(top.OpensPerMin+0.5)))
	if cst := costOf(r, top.Path); cst != nil && cst.Status == "ok" {
		fmt.Fprintf(&b, ", %s and %s lines each", seconds(cst.WallSeconds), count(cst.Lines))
		c.Evidence = append(c.Evidence, fmt.Sprintf("reading `%s` once took %s (%s in the kernel), %s bytes, %s lines", top.Path, seconds(cst.WallSeconds), seconds(cst.SystemSeconds), count(cst.Bytes), count(cst.Lines)))
	} else if cst != nil && cst.Status == "hung" {
		fmt.Fprintf(&b, ", and reading it once did not finish in %s", seconds(cst.WallSeconds))
	}
	fmt.Fprintf(&b, "; those reads took %s of the %s it spent reading files (%s of the %.0f s traced).",
		pct(top.ShareOfReads), seconds(files.ReadSeconds), pct(top.ReadSeconds/max(files.WindowSeconds, 1e-9)), files.WindowSeconds)
	c.Evidence = append(c.Evidence, fmt.Sprintf("`%s`: %s opens, %s reads, %s in reads, longest %s", top.Path, count(int64(top.Opens)), count(int64(top.Reads)), seconds(top.ReadSeconds), seconds(top.MaxReadSecs)))
	explains := p.FilePathFraction >= readPathShare
	switch {
	case top.ShareOfReads >= causeShare && explains:
		c.Confidence = "high"
		c.Cause = Cause{Kind: "file", Name: top.Path, PID: m.PID}
		fmt.Fprintf(&b, " `%s` is the cause.", top.Path)
	case top.ShareOfReads >= partShare && explains:
		c.Confidence = "medium"
		c.Cause = Cause{Kind: "file", Name: top.Path, PID: m.PID}
		fmt.Fprintf(&b, " `%s` is the largest part of it, not all of it.", top.Path)
	case !explains:
		fmt.Fprintf(&b, " But files are only %s of its samples: they do not explain its kernel time", pct(p.FilePathFraction))
		if len(p.TopKernel) > 0 {
			fmt.Fprintf(&b, ", which is mostly in `%s`", p.TopKernel[0].Name)
			c.Cause = Cause{Kind: "function", Name: p.TopKernel[0].Name, PID: m.PID}
		}
		b.WriteString(".")
	default:
		fmt.Fprintf(&b, " No single file explains it: the costliest takes %s of its read time.", pct(top.ShareOfReads))
	}
	c.Summary = b.String()
}

func costOf(r *Report, path string) *Cost {
	for i := range r.Costs {
		if r.Costs[i].Path == path {
			return &r.Costs[i]
		}
	}
	return nil
}

func stepReason(r *Report, name string) string {
	for _, s := range r.Steps {
		if s.Name == name && s.Reason != "" {
			return s.Reason
		}
	}
	return "it did not run"
}

// seconds formats a duration in seconds for a sentence.
func seconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.1f s", s)
	case s >= 0.001:
		return fmt.Sprintf("%.0f ms", s*1e3)
	default:
		return fmt.Sprintf("%.0f µs", s*1e6)
	}
}

// count formats a count with thousands separators: 2,071.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
