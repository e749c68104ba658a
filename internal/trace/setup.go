// Package trace runs mihari's eBPF programs: opens traced as they happen
// (trace open) and reads added up per file (trace files). The programs are
// CO-RE, relocated at load time against the kernel's own BTF, and attach
// to the syscall tracepoints, so that the host needs neither kernel headers
// nor kprobes.
package trace

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Linux capability numbers (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// ErrPrivilege is returned when mihari may not load BPF programs; its
// message says what is missing and how to get it.
var ErrPrivilege = errors.New("tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8): run it with sudo")

// checkPrivilege fails early, in one line, where loading would fail with
// an EPERM that says nothing.
func checkPrivilege() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil // cannot tell: let loading say
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	return ErrPrivilege
}

// btfPath is where the kernel describes its own types; CO-RE needs it.
const btfPath = "/sys/kernel/btf/vmlinux"

func checkBTF() error {
	if _, err := os.Stat(btfPath); err != nil {
		return fmt.Errorf("this kernel does not describe its types (%s is missing: it was built without CONFIG_DEBUG_INFO_BTF), which mihari's tracing needs; Linux 5.4 or later from most distributions has it", btfPath)
	}
	return nil
}

// tracefsPath is where tracefs is mounted on current systems; the syscall
// tracepoints are found under it by name.
const tracefsPath = "/sys/kernel/tracing"

// mountTracefs mounts tracefs where the kernel expects it when no tracefs
// is mounted, as a fresh machine may have it.
func mountTracefs() error {
	mounted, err := tracefsMounted()
	if err != nil || mounted {
		return err
	}
	if err := unix.Mount("tracefs", tracefsPath, "tracefs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting tracefs on %s (the kernel lists its tracepoints there): %w; mount it yourself with: mount -t tracefs tracefs %s", tracefsPath, err, tracefsPath)
	}
	return nil
}

// tracefsMounted tells whether any tracefs is mounted, where cilium/ebpf
// looks for one: /proc/self/mountinfo.
func tracefsMounted() (bool, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, fmt.Errorf("reading the mount table: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		// "... - tracefs tracefs rw,..." : the type follows the separator.
		if _, after, ok := strings.Cut(line, " - "); ok && strings.HasPrefix(after, "tracefs ") {
			return true, nil
		}
	}
	return false, nil
}

// prepare makes the host ready to load and attach: privilege, BTF, tracefs,
// and the memlock limit of kernels before 5.11.
func prepare() error {
	if err := checkPrivilege(); err != nil {
		return err
	}
	if err := checkBTF(); err != nil {
		return err
	}
	if err := mountTracefs(); err != nil {
		return err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("raising the locked-memory limit for BPF maps: %w", err)
	}
	return nil
}
