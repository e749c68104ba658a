//go:build ignore

// Gen writes the hand-made /proc tree of testdata/procs: the 1,000 process
// directories of a 32-CPU Kubernetes node with a cgroup v1 hierarchy
// (cgroupfs driver, no cgroup2 mount), the host whose cgroups are
// testdata/cgroups/v1. Its output is deterministic (fixed seed), so
// rerunning it changes nothing unless this file changed:
//
//	cd testdata/procs && go run gen.go
//
// Then regenerate the cgroup trees, which take their cgroup.procs and
// their totals from the processes written here:
//
//	cd testdata/cgroups && go run gen.go
//
// The file formats are those of Linux 6.18, copied from the real files of
// real/; README.md says what is made up.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	ncpu = 32
	// uptime is 41 days in USER_HZ ticks, as in testdata/hosts/big.
	uptime = 41 * 24 * 3600 * 100
	// nprocLimit is RLIMIT_NPROC and RLIMIT_SIGPENDING, max_threads/2 of
	// a host with 512 GiB of memory.
	nprocLimit = 2062411
	// total is the number of process directories.
	total = 1000
	// unlimited is RLIM_INFINITY.
	unlimited = ^uint64(0)
	// gib is a GiB in kB, the unit of the memory sizes below.
	gib = 1 << 20
)

var rng = rand.New(rand.NewPCG(20261126, 1000))

// between returns a number in [lo, hi).
func between(lo, hi uint64) uint64 {
	if hi <= lo {
		return lo
	}
	return lo + rng.Uint64N(hi-lo)
}

// placement says in which cgroup of each v1 hierarchy a process is.
type placement int

const (
	// inRoot is "/" in every hierarchy: kernel threads.
	inRoot placement = iota
	// inService is path in the hierarchies systemd manages (its own,
	// pids, memory, cpu,cpuacct, blkio, devices) and "/" in the others.
	inService
	// inSession is path in name=systemd and pids, "/user.slice" in the
	// other hierarchies systemd manages and "/" in the rest, which is
	// how a legacy-mode systemd places a login session.
	inSession
	// inInit is path in name=systemd and pids and "/" in the other
	// hierarchies: init's /init.scope.
	inInit
	// inContainer is path in every hierarchy: runc, driven by dockerd or
	// kubelet with the cgroupfs driver, creates it in all of them.
	inContainer
)

// hierarchy is one line of /proc/[pid]/cgroup of this host, in the order
// the kernel writes them (highest ID first).
type hierarchy struct {
	id          int
	controllers string
	// managed is whether systemd places its units in it.
	managed bool
}

var hierarchies = []hierarchy{
	{13, "misc", false},
	{12, "rdma", false},
	{11, "pids", true},
	{10, "hugetlb", false},
	{9, "net_cls,net_prio", false},
	{8, "perf_event", false},
	{7, "freezer", false},
	{6, "devices", true},
	{5, "blkio", true},
	{4, "memory", true},
	{3, "cpuset", false},
	{2, "cpu,cpuacct", true},
	{1, "name=systemd", true},
}

// proc is one process and everything its files say.
type proc struct {
	pid, ppid, pgrp, sid int
	// nsPIDs are the process's IDs in the nested PID namespaces of a
	// container, after the host's, for NStgid and NSpid.
	nsPIDs []int
	comm   string
	state  byte
	// cmdline is the file's content, NULs included.
	cmdline string

	kthread  bool
	zombie   bool
	vanished bool // no stat, status, io, limits or cgroup
	ioDir    bool // io is a directory: reading it fails with EISDIR

	flags      uint64
	uid, gid   int
	groups     []int
	threads    int
	nice       int
	rtprio     int // 0 for SCHED_OTHER
	start      uint64
	utime      uint64
	stime      uint64
	cutime     uint64
	cstime     uint64
	guest      uint64
	minflt     uint64
	cminflt    uint64
	majflt     uint64
	cmajflt    uint64
	vmKB       uint64
	peakKB     uint64
	anonKB     uint64
	fileKB     uint64
	shmemKB    uint64
	swapKB     uint64 // 0: the node has no swap, as kubelet wants
	cpu        int
	delay      uint64
	tty        int
	vol        uint64
	nonvol     uint64
	exitCode   int
	place      placement
	cgroup     string
	fds        int
	nofile     [2]uint64
	as         [2]uint64
	io         [7]uint64
	contained  bool // in a container: bounding set and seccomp of runc
	sigIgn     uint64
	sigCgt     uint64
	goBinary   bool
	fdSizeBits int
}

var (
	procs   []*proc
	nextPID = 1
	clock   uint64 // ticks after boot of the next process's start
)

// spawn adds a process started after the previous one, its PID gap to
// the previous PID at most maxGap and its start at most maxDT ticks later.
func spawn(comm string, ppid int, maxGap int, maxDT uint64) *proc {
	p := &proc{
		pid:        nextPID,
		ppid:       ppid,
		comm:       comm,
		state:      'S',
		start:      clock,
		flags:      4194560,
		cpu:        rng.IntN(ncpu),
		nofile:     [2]uint64{1024, 524288},
		as:         [2]uint64{unlimited, unlimited},
		fdSizeBits: 64,
	}
	p.pgrp, p.sid = p.pid, p.pid
	procs = append(procs, p)
	nextPID += 1 + rng.IntN(maxGap)
	clock += between(1, maxDT+1)
	return p
}

// child makes p a process of parent's session and group.
func (p *proc) child(parent *proc) *proc {
	p.ppid, p.pgrp, p.sid = parent.pid, parent.pgrp, parent.sid
	p.uid, p.gid, p.groups = parent.uid, parent.gid, parent.groups
	p.place, p.cgroup = parent.place, parent.cgroup
	p.contained, p.nofile, p.as = parent.contained, parent.nofile, parent.as
	return p
}

// mem sets the memory sizes in kB: virtual size, then resident anonymous,
// file and shared memory.
func (p *proc) mem(vm, anon, file, shmem uint64) *proc {
	// Whole 4 KiB pages, as the kernel counts them.
	p.vmKB, p.anonKB, p.fileKB, p.shmemKB = vm&^3, anon&^3, file&^3, shmem&^3
	p.peakKB = vm + vm/8
	return p
}

// busy sets the CPU time from the share of one CPU the process used over
// its life, user time being userPct percent of it.
func (p *proc) busy(share float64, userPct uint64) *proc {
	life := uint64(uptime) - p.start
	t := uint64(float64(life) * share * (0.8 + 0.4*rng.Float64()))
	p.utime = t * userPct / 100
	p.stime = t - p.utime
	p.minflt = t*3 + between(100, 5000)
	p.majflt = between(0, 40+t/20000)
	p.vol = t*2 + between(10, 2000)
	p.nonvol = t/10 + between(0, 300)
	return p
}

// reaped sets the time and faults of the children the process waited for:
// share of its own.
func (p *proc) reaped(share float64) *proc {
	p.cutime = uint64(float64(p.utime) * share)
	p.cstime = uint64(float64(p.stime) * share)
	p.cminflt = uint64(float64(p.minflt) * share)
	p.cmajflt = uint64(float64(p.majflt) * share)
	return p
}

// ioCounters sets /proc/[pid]/io from the bytes read and written.
func (p *proc) ioCounters(read, written uint64) *proc {
	rs := read/between(2000, 60000) + 1
	ws := written/between(2000, 60000) + 1
	p.io = [7]uint64{
		read + between(0, 1<<20), written + between(0, 1<<16), rs, ws,
		read / 3 / 4096 * 4096, written / 2 / 4096 * 4096, 0,
	}
	p.io[6] = p.io[5] / 16 / 4096 * 4096
	return p
}

// args makes a command line of NUL-ended arguments.
func args(a ...string) string { return strings.Join(a, "\x00") + "\x00" }

// title makes the command line of a process that rewrote its arguments to
// s and padded the rest of their space (n bytes) with NULs, as nginx,
// postgres and sshd do.
func title(s string, n int) string {
	if n <= len(s) {
		n = len(s) + 1
	}
	return s + strings.Repeat("\x00", n-len(s))
}

// id64 is a container ID, 64 hex digits derived from label.
func id64(label string) string {
	h := sha256.Sum256([]byte("testdata/procs " + label))
	return hex.EncodeToString(h[:])
}

// uid36 is a pod UID derived from label.
func uid36(label string) string {
	h := hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("pod " + label)); return s[:16] }())
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func main() {
	for _, name := range []string{"real", "gen.go", "README.md"} {
		if _, err := os.Stat(name); err != nil {
			log.Fatalf("run in testdata/procs: %v", err)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			if err := os.RemoveAll(e.Name()); err != nil {
				log.Fatal(err)
			}
		}
	}
	makeHost()
	sort.Slice(procs, func(i, j int) bool { return procs[i].pid < procs[j].pid })
	if len(procs) != total {
		log.Fatalf("%d processes, want %d", len(procs), total)
	}
	for _, p := range procs {
		writeProc(p)
	}
}

// makeHost adds the processes, in the order they started.
func makeHost() {
	systemd := spawn("systemd", 0, 1, 1)
	systemd.start = 9
	systemd.cmdline = args("/sbin/init")
	systemd.place, systemd.cgroup = inInit, "/init.scope"
	systemd.mem(170*1024, 6*1024, 7*1024, 0).busy(0.0004, 30).reaped(40).ioCounters(90<<30, 40<<30)
	systemd.flags = 4194560
	systemd.fds = 50
	systemd.nofile = [2]uint64{1073741816, 1073741816}
	systemd.sigIgn, systemd.sigCgt = 0x1000, 0x1800004ec
	clock = 24
	kthreads()

	// Early boot's short-lived processes (udev rules, generators) used
	// the PIDs up to here.
	clock, nextPID = 300, 412
	journald := service("systemd-journal", "systemd-journald", args("/lib/systemd/systemd-journald"))
	journald.mem(90*1024, 600, 30*1024, 12*1024).busy(0.002, 40).ioCounters(2<<30, 180<<30)
	journald.fds = 44
	udevd := service("systemd-udevd", "systemd-udevd", args("/lib/systemd/systemd-udevd"))
	udevd.mem(24*1024, 2*1024, 5*1024, 0).busy(0.00005, 50).ioCounters(200<<20, 1<<20)
	udevd.fds = 19
	for range 2 {
		w := spawn("(udev-worker)", udevd.pid, 2, 5).child(udevd)
		w.cmdline = args("/lib/systemd/systemd-udevd")
		w.mem(24*1024, 1500, 4*1024, 0).busy(0.00001, 50).ioCounters(1<<20, 0)
		w.fds = 8
	}
	dbus := service("dbus-daemon", "dbus", args("@dbus-daemon", "--system", "--address=systemd:", "--nofork", "--nopidfile", "--systemd-activation", "--syslog-only"))
	dbus.uid, dbus.gid = 101, 104
	dbus.mem(9*1024, 1200, 3*1024, 0).busy(0.00003, 50).ioCounters(8<<20, 0)
	dbus.fds = 21
	logind := service("systemd-logind", "systemd-logind", args("/lib/systemd/systemd-logind"))
	logind.mem(17*1024, 1700, 6*1024, 0).busy(0.00002, 50).ioCounters(3<<20, 0)
	logind.fds = 23
	cron := service("cron", "cron", args("/usr/sbin/cron", "-f"))
	cron.mem(6*1024, 400, 2*1024, 0).busy(0.000002, 50).ioCounters(5<<20, 0)
	cron.fds = 5
	rsyslog := service("rsyslogd", "rsyslog", args("/usr/sbin/rsyslogd", "-n", "-iNONE"))
	rsyslog.threads = 4
	rsyslog.mem(222*1024, 1500, 3*1024, 0).busy(0.0003, 40).ioCounters(180<<30, 60<<30)
	rsyslog.fds = 12
	chrony := service("chronyd", "chrony", args("/usr/sbin/chronyd", "-F", "1"))
	chrony.uid, chrony.gid = 103, 107
	chrony.mem(18*1024, 500, 2*1024, 0).busy(0.00001, 30).ioCounters(1<<20, 30<<20)
	chrony.fds = 7
	sshd := service("sshd", "ssh", title("sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 24))
	sshd.mem(15*1024, 1300, 7*1024, 0).busy(0.00002, 30).ioCounters(30<<20, 1<<20)
	sshd.fds = 5
	containerd := service("containerd", "containerd", args("/usr/bin/containerd"))
	containerd.goBinary, containerd.threads = true, 52
	containerd.nofile = [2]uint64{1048576, 1048576}
	containerd.mem(3100*1024, 86*1024, 40*1024, 0).busy(0.02, 70).ioCounters(40<<30, 90<<30)
	containerd.nice, containerd.fds = -10, 50
	clock += 200
	dockerd := service("dockerd", "docker", args("/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"))
	dockerd.goBinary, dockerd.threads = true, 41
	dockerd.nofile = [2]uint64{1048576, 1048576}
	dockerd.mem(2600*1024, 95*1024, 45*1024, 0).busy(0.006, 70).ioCounters(20<<30, 8<<30)
	dockerd.fds = 47
	kubelet := service("kubelet", "kubelet", args("/usr/bin/kubelet",
		"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--kubeconfig=/etc/kubernetes/kubelet.conf",
		"--config=/var/lib/kubelet/config.yaml", "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
		"--cgroup-driver=cgroupfs", "--node-ip=10.20.4.17"))
	kubelet.goBinary, kubelet.threads = true, 38
	kubelet.nofile = [2]uint64{1048576, 1048576}
	kubelet.mem(2500*1024, 122*1024, 55*1024, 0).busy(0.04, 65).ioCounters(60<<30, 12<<30)
	kubelet.fds = 50
	kubelet.delay = 184

	// Docker containers, started by dockerd on boot.
	clock, nextPID = clock+500, 1874
	web := id64("docker web")
	shim := newShim(web, "moby")
	nginx := spawn("nginx", shim.pid, 3, 20)
	containerProc(nginx, shim, "/docker/"+web, 1)
	nginx.cmdline = title("nginx: master process nginx -g daemon off;", 40)
	nginx.mem(11*1024, 2*1024, 6*1024, 100).busy(0.00001, 40).ioCounters(5<<20, 0)
	nginx.fds = 14
	for i := range 8 {
		w := spawn("nginx", nginx.pid, 2, 3).child(nginx)
		w.nsPIDs = []int{29 + i}
		w.uid, w.gid = 101, 101
		w.cmdline = title("nginx: worker process", 40)
		w.mem(12*1024, 3*1024, 5*1024, 900).busy(0.003, 45).ioCounters(900<<20+between(0, 1<<30), 4<<30)
		w.fds = int(between(12, 30))
	}
	api := id64("docker api")
	shim = newShim(api, "moby")
	gunicorn := spawn("python3", shim.pid, 3, 20)
	containerProc(gunicorn, shim, "/docker/"+api, 1)
	gunicorn.uid, gunicorn.gid = 1000, 1000
	gunicorn.cmdline = args("/usr/local/bin/python3", "/usr/local/bin/gunicorn", "--workers", "4", "--bind", "0.0.0.0:8000", "app.wsgi:application")
	gunicorn.mem(31*1024, 22*1024, 8*1024, 0).busy(0.0002, 80).ioCounters(50<<20, 2<<20)
	gunicorn.fds = 6
	for i := range 4 {
		w := spawn("python3", gunicorn.pid, 2, 3).child(gunicorn)
		w.nsPIDs = []int{7 + i}
		w.cmdline = gunicorn.cmdline
		w.mem(140*1024, 95*1024, 9*1024, 0).busy(0.01, 85).ioCounters(2<<30, 300<<20)
		w.fds = int(between(9, 14))
	}

	// Pods, started by kubelet once the node joined.
	clock, nextPID = clock+3000, 3311
	pgPod := newPod("postgres-0", "kubepods/pod%s")
	pg := podContainer(pgPod, "postgres", "postgres", 999, args("postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"))
	pg.mem(8700*1024, 30*1024, 20*1024, 2200*1024).busy(0.001, 60).reaped(900).ioCounters(2<<30, 1<<30)
	pg.nofile, pg.fds = [2]uint64{1048576, 1048576}, 11
	for i, t := range []string{"checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication launcher", "archiver"} {
		b := spawn("postgres", pg.pid, 2, 3).child(pg)
		b.nsPIDs = []int{40 + i}
		b.cmdline = title("postgres: "+t+" ", 65)
		b.mem(8700*1024, 3*1024, 9*1024, 3600*1024).busy(0.0008, 40).ioCounters(8<<30, 900<<30)
		b.fds = int(between(8, 12))
		b.delay = between(4000, 90000)
	}
	javaPod := newPod("orders-7d9f8b6c5-vw2lq", "kubepods/burstable/pod%s")
	java := podContainer(javaPod, "java", "orders", 1001, args("java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75.0", "-jar", "/app/orders.jar"))
	java.threads = 187
	java.nofile, java.as = [2]uint64{1048576, 1048576}, [2]uint64{34359738368, 34359738368}
	java.mem(12*gib, 3*gib+210*1024, 28*1024, 0).busy(0.35, 85).ioCounters(14<<30, 6<<30)
	java.fds, java.fdSizeBits = 50, 512
	ingressPod := newPod("ingress-nginx-controller-5b9c7f8d4-m8xtz", "kubepods/burstable/pod%s")
	ctrl := podContainer(ingressPod, "nginx-ingress-c", "controller", 101, args("/nginx-ingress-controller", "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx", "--configmap=ingress-nginx/ingress-nginx-controller"))
	ctrl.goBinary, ctrl.threads = true, 24
	ctrl.mem(1900*1024, 58*1024, 31*1024, 0).busy(0.01, 75).ioCounters(3<<30, 200<<20)
	ctrl.fds = 33
	master := spawn("nginx", ctrl.pid, 2, 50).child(ctrl)
	master.nsPIDs = []int{25}
	master.cmdline = title("nginx: master process /usr/bin/nginx -c /etc/nginx/nginx.conf", 48)
	master.mem(160*1024, 40*1024, 12*1024, 300).busy(0.0001, 40).ioCounters(90<<20, 0)
	master.fds = 40
	for i := range 32 {
		w := spawn("nginx", master.pid, 2, 3).child(master)
		w.nsPIDs = []int{31 + i}
		w.cmdline = title("nginx: worker process", 48)
		w.mem(170*1024, 52*1024, 10*1024, 400).busy(0.004, 45).ioCounters(4<<30+between(0, 2<<30), 1<<30)
		w.fds = int(between(20, 50))
	}
	celeryPod := newPod("reports-worker-6f7c9d8b5-4hx2p", "kubepods/burstable/pod%s")
	celery := podContainer(celeryPod, "python3", "worker", 1000, args("/usr/local/bin/python3", "/usr/local/bin/celery", "-A", "reports", "worker", "--concurrency=128", "--loglevel=INFO"))
	celery.mem(260*1024, 120*1024, 14*1024, 0).busy(0.003, 80).ioCounters(1<<30, 90<<20)
	celery.as = [2]uint64{8589934592, 8589934592}
	celery.threads, celery.fds = 3, 12
	jobPod := newPod("backfill-28472160-zq7vd", "kubepods/besteffort/pod%s")
	job := podContainer(jobPod, "bash", "backfill", 0, args("/bin/bash", "-c", "python3 /jobs/backfill.py --since 2026-10-01 & exec python3 /jobs/watch.py"))
	job.mem(7*1024, 1100, 2600, 0).busy(0.00001, 50).ioCounters(2<<20, 0)
	job.fds = 4

	// KubeVirt started a virtual machine twelve days later.
	clock, nextPID = 12*24*3600*100, 283_540
	vmPod := newPod("virt-launcher-db-replica-2-kc9wz", "kubepods/burstable/pod%s")
	mon := podContainer(vmPod, "virt-launcher-m", "compute", 107, args("/usr/bin/virt-launcher-monitor", "--qemu-timeout", "331s", "--name", "db-replica-2", "--namespace", "vms"))
	mon.goBinary, mon.threads, mon.fds = true, 9, 8
	mon.mem(1200*1024, 14*1024, 12*1024, 0).busy(0.0001, 60).ioCounters(10<<20, 1<<20)
	launcher := spawn("virt-launcher", mon.pid, 2, 30).child(mon)
	launcher.nsPIDs = []int{12}
	launcher.goBinary, launcher.threads, launcher.fds = true, 21, 17
	launcher.cmdline = args("/usr/bin/virt-launcher", "--qemu-timeout", "331s", "--name", "db-replica-2", "--uid", "3b1d9d0e-6c1a-4c57-b4f5-0c91f2c43a77", "--namespace", "vms")
	launcher.mem(2300*1024, 60*1024, 30*1024, 0).busy(0.002, 60).ioCounters(60<<20, 10<<20)
	virtqemud := spawn("virtqemud", launcher.pid, 2, 30).child(launcher)
	virtqemud.nsPIDs = []int{20}
	virtqemud.threads, virtqemud.fds = 19, 28
	virtqemud.cmdline = args("virtqemud", "-f", "/var/run/libvirt/virtqemud.conf", "--no-admin-srv", "--no-ro-srv")
	virtqemud.mem(1500*1024, 20*1024, 18*1024, 0).busy(0.0005, 60).ioCounters(70<<20, 5<<20)
	virtlogd := spawn("virtlogd", launcher.pid, 2, 30).child(launcher)
	virtlogd.nsPIDs = []int{21}
	virtlogd.fds = 10
	virtlogd.cmdline = args("virtlogd", "-f", "/etc/libvirt/virtlogd.conf")
	virtlogd.mem(80*1024, 3*1024, 6*1024, 0).busy(0.00001, 60).ioCounters(1<<20, 90<<20)
	qemu := spawn("qemu-system-x86", virtqemud.pid, 2, 300).child(virtqemud)
	qemu.nsPIDs = []int{83}
	qemu.threads, qemu.fds, qemu.fdSizeBits = 44, 50, 128
	qemu.cmdline = args("/usr/libexec/qemu-kvm", "-name", "guest=vms_db-replica-2,debug-threads=on", "-S",
		"-machine", "pc-q35-rhel9.2.0,usb=off,dump-guest-core=off,memory-backend=pc.ram", "-accel", "kvm",
		"-cpu", "host,migratable=on", "-m", "65536", "-smp", "16,sockets=1,dies=1,cores=8,threads=2",
		"-uuid", "3b1d9d0e-6c1a-4c57-b4f5-0c91f2c43a77", "-no-user-config", "-nodefaults", "-nographic")
	qemu.mem(69*gib, 64*gib+310*1024, 24*1024, 2*1024).busy(6.5, 92).ioCounters(9<<40, 4<<40)
	qemu.guest = qemu.utime * 97 / 100
	qemu.delay = 9_812_442
	qemu.nonvol *= 40

	// The node's user logged in this morning.
	clock, nextPID = uptime-5*3600*100, 1_204_117
	user := []int{1000, 1000, 4, 27, 100, 998}
	priv := spawn("sshd", sshd.pid, 40, 20).child(sshd)
	priv.pgrp, priv.sid = priv.pid, priv.pid
	priv.place, priv.cgroup = inSession, "/user.slice/user-1000.slice/session-3.scope"
	priv.cmdline = title("sshd: alice [priv]", 56)
	priv.mem(17*1024, 1800, 8*1024, 0).busy(0.00001, 30).ioCounters(1<<20, 20<<10)
	priv.fds = 9
	userd := spawn("systemd", 1, 3, 20)
	userd.uid, userd.gid, userd.groups = 1000, 1000, user[2:]
	userd.place, userd.cgroup = inSession, "/user.slice/user-1000.slice/user@1000.service/init.scope"
	userd.cmdline = args("/lib/systemd/systemd", "--user")
	userd.mem(19*1024, 2300, 8*1024, 0).busy(0.00002, 40).ioCounters(10<<20, 2<<20)
	userd.fds = 22
	sdpam := spawn("(sd-pam)", userd.pid, 2, 5).child(userd)
	sdpam.cmdline = args("(sd-pam)")
	sdpam.mem(168*1024, 1300, 3*1024, 0).busy(0.0000001, 40).ioCounters(0, 0)
	sdpam.fds = 3
	sess := spawn("sshd", priv.pid, 3, 20).child(priv)
	sess.uid, sess.gid, sess.groups = 1000, 1000, user[2:]
	sess.flags = 4194624
	// OpenSSH's title is longer than the arguments it clobbered: the
	// kernel returns it up to the first NUL, without one.
	sess.cmdline = "sshd: alice@pts/0"
	sess.mem(17*1024, 1400, 6*1024, 0).busy(0.00002, 30).ioCounters(9<<20, 6<<20)
	sess.fds = 11
	bash := spawn("bash", sess.pid, 2, 20).child(sess)
	bash.pgrp, bash.sid, bash.tty = bash.pid, bash.pid, 34816
	bash.cmdline = args("-bash")
	bash.mem(9*1024, 3*1024, 3*1024, 0).busy(0.00001, 60).reaped(3).ioCounters(30<<20, 1<<20)
	bash.fds = 4
	tmuxClient := spawn("tmux: client", bash.pid, 2, 200).child(bash)
	tmuxClient.pgrp = tmuxClient.pid
	tmuxClient.cmdline = args("tmux", "new", "-s", "debug")
	tmuxClient.mem(8*1024, 1500, 3*1024, 0).busy(0.000005, 40).ioCounters(2<<20, 1<<20)
	tmuxClient.fds = 7
	tmux := spawn("tmux: server", 1, 2, 20).child(bash)
	tmux.ppid, tmux.pgrp, tmux.sid, tmux.tty = 1, tmux.pid, tmux.pid, 0
	tmux.cmdline = args("tmux", "new", "-s", "debug")
	tmux.mem(11*1024, 2600, 3*1024, 0).busy(0.0001, 40).ioCounters(40<<20, 9<<20)
	tmux.fds = 12
	for i := range 3 {
		sh := spawn("bash", tmux.pid, 2, 300).child(tmux)
		sh.pgrp, sh.sid, sh.tty = sh.pid, sh.pid, 34817+i
		sh.cmdline = args("-bash")
		sh.mem(9*1024, 3*1024, 3*1024, 0).busy(0.00001, 60).ioCounters(12<<20, 1<<20)
		sh.fds = 4
		if i == 1 {
			py := spawn("python3", sh.pid, 2, 500).child(sh)
			py.pgrp = py.pid
			py.state = 'R'
			py.cmdline = args("python3", "-m", "http.server", "8080")
			py.mem(30*1024, 14*1024, 7*1024, 0).busy(0.01, 90).ioCounters(300<<20, 1<<20)
			py.fds = 5
		}
	}

	// The celery workers restarted an hour ago; postgres backends come
	// and go.
	clock, nextPID = uptime-3600*100, 1_266_090
	for i := range 128 {
		w := spawn("python3", celery.pid, 3, 60).child(celery)
		w.nsPIDs = []int{20 + i}
		// The worker's title is longer than the arguments: no NUL.
		w.cmdline = fmt.Sprintf("[celeryd: celery@reports-worker-6f7c9d8b5-4hx2p:ForkPoolWorker-%d]", i+1)
		w.mem(430*1024, 180*1024+between(0, 90*1024), 15*1024, 0).busy(0.2, 88).ioCounters(between(100<<20, 3<<30), between(1<<20, 400<<20))
		w.threads, w.fds = 1, int(between(7, 14))
		if i < 3 {
			w.zombie = true
			w.exitCode = 9
		}
		if i == 70 {
			w.vanished = true
		}
		if i == 100 {
			w.ioDir = true
		}
		if i%17 == 5 {
			w.state = 'R'
		}
	}
	jp := spawn("python3", job.pid, 2, 30).child(job)
	jp.nsPIDs = []int{7}
	jp.cmdline = args("python3", "/jobs/backfill.py", "--since", "2026-10-01")
	jp.mem(900*1024, 610*1024, 20*1024, 0).busy(0.9, 75).ioCounters(20<<30, 3<<30)
	jp.state, jp.fds = 'D', 9
	jp.delay = 29_104
	// Two processes that named themselves oddly with prctl(PR_SET_NAME):
	// a name that looks like the fields that follow it in stat, and one
	// with a newline, which status escapes as \n.
	odd := spawn("worker) S 1 (x", job.pid, 2, 30).child(job)
	odd.nsPIDs = []int{8}
	odd.cmdline = args("python3", "/jobs/watch.py")
	odd.mem(40*1024, 12*1024, 6*1024, 0).busy(0.001, 80).ioCounters(1<<20, 0)
	odd.fds = 5
	nl := spawn("evil\nname", odd.pid, 2, 30).child(job)
	nl.nsPIDs = []int{9}
	nl.cmdline = args("python3", "-c", "import ctypes; ctypes.CDLL(None).prctl(15, b'evil\\nname'); input()")
	nl.mem(30*1024, 9*1024, 6*1024, 0).busy(0.0001, 80).ioCounters(1<<20, 0)
	nl.fds = 3
	javaChild := spawn("sh", java.pid, 2, 30).child(java)
	javaChild.nsPIDs = []int{212}
	javaChild.zombie, javaChild.exitCode = true, 256

	// Postgres backends, one per client connection, over the last hour;
	// the number fills the tree to total directories.
	clients := []string{"10.244.3.17", "10.244.3.18", "10.244.7.2", "10.244.9.40", "10.244.12.5"}
	states := []string{"idle", "idle", "idle", "idle in transaction", "SELECT", "UPDATE", "COMMIT"}
	clock = uptime - 3600*100 + 3000
	need := total - len(procs) - 6 // 6 for the late kworkers below
	for i := range need {
		b := spawn("postgres", pg.pid, 4000, 600).child(pg)
		b.nsPIDs = []int{3000 + i*7}
		client := clients[i%len(clients)]
		st := states[rng.IntN(len(states))]
		if st != "idle" && st != "idle in transaction" {
			b.state = 'R'
		}
		b.cmdline = title(fmt.Sprintf("postgres: app orders %s(%d) %s", client, 32768+rng.IntN(28000), st), 65)
		b.mem(8800*1024, 2*1024+between(0, 10*1024), 12*1024, between(10*1024, 900*1024)).busy(0.02, 70).ioCounters(between(1<<20, 20<<30), between(0, 500<<20))
		b.fds = int(between(10, 26))
		b.delay = between(0, 3000)
		switch i {
		case 17:
			b.zombie, b.exitCode = true, 0
		case 40:
			b.state = 'D'
		case 101, 205, 333, 404:
			b.vanished = true
		case 250:
			b.ioDir = true
		case 300:
			b.state = 'T' // stopped by a debugging user
		}
	}
	// A vanished nginx worker and an unreadable one and shim.
	for _, p := range procs {
		if p.comm == "nginx" && p.cgroup == ingressPod.container("controller") && p.pid != master.pid && p.nsPIDs[0] == 40 {
			p.vanished = true
		}
		if p.comm == "nginx" && p.cgroup == ingressPod.container("controller") && p.pid != master.pid && p.nsPIDs[0] == 41 {
			p.ioDir = true
		}
		if p.comm == "containerd-shim" && strings.Contains(p.cmdline, javaPod.sandbox) {
			p.ioDir = true
		}
	}
	// Kernel workers come and go too: their PIDs are among the newest.
	clock = uptime - 600*100
	for i, name := range []string{"kworker/u130:2-flush-253:0", "kworker/7:2-events", "kworker/19:1-mm_percpu_wq", "kworker/u129:3-events_unbound", "kworker/3:1H-kblockd", "kworker/u130:0-writeback"} {
		k := spawn(name, 2, 900, 6000)
		kthread(k, 'I', 69238880, 0, 0)
		if i == 1 {
			k.state = 'R'
		}
	}
}

// service adds a systemd service's main process.
func service(comm, unit, cmdline string) *proc {
	p := spawn(comm, 1, 3, 60)
	p.place, p.cgroup = inService, "/system.slice/"+unit+".service"
	p.cmdline = cmdline
	p.sigIgn, p.sigCgt = 0x1000, 0x14c02
	return p
}

// newShim adds the containerd-shim-runc-v2 of a container or pod.
func newShim(id, namespace string) *proc {
	p := spawn("containerd-shim", 1, 3, 20)
	p.place, p.cgroup = inService, "/system.slice/containerd.service"
	p.cmdline = args("/usr/bin/containerd-shim-runc-v2", "-namespace", namespace, "-id", id, "-address", "/run/containerd/containerd.sock")
	p.goBinary, p.threads = true, 12
	p.nofile = [2]uint64{1048576, 1048576}
	p.mem(1238*1024, 7*1024, 8*1024, 0).busy(0.0004, 40).ioCounters(40<<20, 8<<20)
	p.sigIgn, p.sigCgt = 0, 0x7fc1feff
	p.fds = 17
	return p
}

// containerProc makes p the first process of a container, PID nsPID in
// its own PID namespace.
func containerProc(p, shim *proc, cgroup string, nsPID int) {
	p.ppid = shim.pid
	p.place, p.cgroup = inContainer, cgroup
	p.nsPIDs = []int{nsPID}
	p.contained = true
	p.nofile = [2]uint64{1048576, 1048576}
	p.sigIgn, p.sigCgt = 0x1000, 0x4000
}

// pod is a Kubernetes pod: its cgroup, its shim and its sandbox (pause)
// container.
type pod struct {
	uid     string
	dir     string // its cgroup, e.g. "/kubepods/burstable/pod<uid>"
	sandbox string // the pause container's ID
	shim    *proc
}

// container returns the cgroup of the pod's container named name.
func (p pod) container(name string) string { return p.dir + "/" + id64(p.uid+" "+name) }

// newPod adds a pod, its shim and its pause process. dirFormat is its
// cgroup with %s for its UID.
func newPod(name, dirFormat string) pod {
	uid := uid36(name)
	p := pod{uid: uid, dir: "/" + fmt.Sprintf(dirFormat, uid)}
	p.sandbox = id64(uid + " POD")
	p.shim = newShim(p.sandbox, "k8s.io")
	pause := spawn("pause", p.shim.pid, 2, 10)
	containerProc(pause, p.shim, p.dir+"/"+p.sandbox, 1)
	pause.uid, pause.gid = 65535, 65535
	pause.cmdline = args("/pause")
	pause.goBinary = true
	pause.mem(1020, 4, 340, 0).busy(0.0000001, 50)
	pause.fds = 3
	return p
}

// podContainer adds the first process of a pod's container named name.
func podContainer(p pod, comm, name string, uid int, cmdline string) *proc {
	c := spawn(comm, p.shim.pid, 2, 100)
	containerProc(c, p.shim, p.container(name), 1)
	c.uid, c.gid = uid, uid
	c.cmdline = cmdline
	return c
}

// kthread makes p a kernel thread.
func kthread(p *proc, state byte, flags uint64, nice, rtprio int) {
	p.kthread, p.state, p.flags, p.nice, p.rtprio = true, state, flags, nice, rtprio
	p.ppid, p.pgrp, p.sid = 2, 0, 0
	p.nofile = [2]uint64{1024, 4096}
	p.sigIgn = 0x7fffffff
}

// kthreads adds kthreadd and the kernel threads started at boot, in the
// order a 6.18 kernel starts them.
func kthreads() {
	kd := spawn("kthreadd", 0, 1, 1)
	kthread(kd, 'S', 2129984, 0, 0)
	kd.ppid = 0
	kd.stime = 371
	k := func(name string, state byte, flags uint64, nice, rtprio int, stime uint64) *proc {
		p := spawn(name, 2, 1, 2)
		kthread(p, state, flags, nice, rtprio)
		p.stime = stime
		return p
	}
	const (
		worker = 69238880
		percpu = 69238848
		plain  = 2129984
	)
	k("pool_workqueue_release", 'S', plain, 0, 0, 0)
	for _, wq := range []string{"rcu_gp", "sync_wq", "kvfree_rcu_reclaim", "slub_flushwq", "netns"} {
		k("kworker/R-"+wq, 'I', worker, -20, 0, 0)
	}
	k("kworker/0:0-events", 'I', worker, 0, 0, between(100, 9000))
	k("kworker/0:0H-events_highpri", 'I', worker, -20, 0, between(0, 300))
	k("kworker/u129:0-events_unbound", 'I', worker, 0, 0, between(1000, 90000))
	k("kworker/R-mm_percpu_wq", 'I', worker, -20, 0, 0)
	k("rcu_tasks_kthread", 'I', plain, 0, 0, 12)
	k("rcu_tasks_rude_kthread", 'I', plain, 0, 0, 3)
	k("rcu_tasks_trace_kthread", 'I', plain, 0, 0, 1)
	k("ksoftirqd/0", 'S', percpu, 0, 0, between(10000, 200000))
	k("rcu_preempt", 'I', plain, 0, 0, between(100000, 900000))
	k("rcu_exp_par_gp_kthread_worker/0", 'S', plain, 0, 1, 0)
	k("rcu_exp_gp_kthread_worker", 'S', plain, 0, 1, 19)
	k("migration/0", 'S', percpu, 0, 99, between(1000, 20000))
	k("idle_inject/0", 'S', percpu, 0, 50, 0)
	k("cpuhp/0", 'S', percpu, 0, 0, 0)
	for c := 1; c < ncpu; c++ {
		n := strconv.Itoa(c)
		k("cpuhp/"+n, 'S', percpu, 0, 0, 0)
		k("idle_inject/"+n, 'S', percpu, 0, 50, 0)
		k("migration/"+n, 'S', percpu, 0, 99, between(1000, 20000))
		k("ksoftirqd/"+n, 'S', percpu, 0, 0, between(10000, 200000))
		k("kworker/"+n+":0-events", 'I', worker, 0, 0, between(100, 9000))
		k("kworker/"+n+":0H-events_highpri", 'I', worker, -20, 0, between(0, 300))
	}
	for _, name := range []string{"kdevtmpfs", "kworker/R-inet_frag_wq", "kauditd", "khungtaskd", "oom_reaper",
		"kworker/R-writeback", "kcompactd0", "kcompactd1", "ksmd", "khugepaged", "kworker/R-kintegrityd",
		"kworker/R-kblockd", "kworker/R-blkcg_punt_bio", "irq/9-acpi", "kworker/R-tpm_dev_wq", "kworker/R-md",
		"kworker/R-edac-poller", "watchdogd", "kswapd0", "kswapd1", "kworker/R-kthrotld", "kworker/R-nvme-wq",
		"kworker/R-nvme-reset-wq", "kworker/R-nvme-delete-wq", "scsi_eh_0", "kworker/R-scsi_tmf_0",
		"kworker/R-dm_bufio_cache", "kworker/R-kdmflush/253:0", "jbd2/nvme0n1p2-8", "kworker/R-ext4-rsv-conversion",
		"xfsaild/dm-0", "kworker/R-xfs-buf/dm-0", "irq/120-nvme0q0"} {
		state, flags, nice := byte('S'), uint64(plain), 0
		if strings.HasPrefix(name, "kworker/R-") {
			state, flags, nice = 'I', worker, -20
		}
		rt := 0
		if strings.HasPrefix(name, "irq/") || name == "watchdogd" {
			rt = 50
		}
		if name == "ksmd" {
			nice = 5
		}
		if name == "khugepaged" {
			nice = 19
		}
		p := k(name, state, flags, nice, rt, between(0, 2000))
		switch {
		case strings.HasPrefix(name, "kswapd"):
			p.flags, p.stime = 10758208, between(300000, 2000000)
			p.io = [7]uint64{0, 0, 0, 0, 0, between(1<<30, 40<<30), 0}
		case strings.HasPrefix(name, "jbd2"), strings.HasPrefix(name, "xfsaild"):
			p.stime = between(50000, 400000)
			p.io = [7]uint64{0, 0, 0, 0, 0, between(100<<30, 900<<30), 0}
			p.delay = between(100000, 900000)
		}
	}
}

// stateNames are the words status writes after the state letter.
var stateNames = map[byte]string{
	'R': "running", 'S': "sleeping", 'D': "disk sleep", 'T': "stopped",
	't': "tracing stop", 'X': "dead", 'Z': "zombie", 'P': "parked", 'I': "idle",
}

func writeProc(p *proc) {
	dir := strconv.Itoa(p.pid)
	if p.zombie {
		p.state, p.threads, p.fds = 'Z', 1, 0
		p.vmKB, p.peakKB, p.anonKB, p.fileKB, p.shmemKB, p.swapKB = 0, 0, 0, 0, 0, 0
		p.flags = 4227084
		p.cmdline = ""
	}
	if p.threads == 0 {
		p.threads = 1
	}
	if p.vanished {
		// The process exited between the listing of /proc and the
		// reads of its files; cmdline, empty, keeps the directory in
		// git, which stores no empty directory.
		write(dir+"/cmdline", "")
		return
	}
	write(dir+"/stat", stat(p))
	write(dir+"/status", status(p))
	if p.ioDir {
		// Reading a directory fails (EISDIR), as reading the io of a
		// process one may not ptrace fails (EACCES).
		write(dir+"/io/.gitkeep", "")
	} else {
		write(dir+"/io", ioFile(p))
	}
	write(dir+"/cmdline", p.cmdline)
	write(dir+"/limits", limits(p))
	write(dir+"/cgroup", cgroupFile(p))
	// Processes without open files (kernel threads, zombies) get no fd/
	// at all: git would not keep it empty, and the tree must be the same
	// in a clone as here. mihari reads a missing fd/ of a process that is
	// still there as no open files.
	for i := range p.fds {
		write(dir+"/fd/"+strconv.Itoa(i), "")
	}
}

func write(name, content string) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
}

// rssKB is the resident set in kB.
func (p *proc) rssKB() uint64 { return p.anonKB + p.fileKB + p.shmemKB }

// stat writes /proc/[pid]/stat as do_task_stat does, for a reader allowed
// to see the addresses (root).
func stat(p *proc) string {
	prio := 20 + p.nice
	policy := 0
	if p.rtprio > 0 {
		prio, policy = -1-p.rtprio, 1
	}
	tpgid := -1
	if p.tty != 0 {
		tpgid = p.pgrp
	}
	var codeStart, codeEnd, stack, dataStart, dataEnd, brk, argStart, argEnd, envStart, envEnd uint64
	wchan := 0
	if p.state != 'R' && !p.zombie {
		wchan = 1
	}
	if !p.kthread && !p.zombie {
		if p.goBinary {
			codeStart = 0x400000
		} else {
			codeStart = 0x55d000000000 + between(0, 0x1000000)*4096
		}
		codeEnd = codeStart + between(20, 60000)*1024
		dataStart = codeEnd + 0x2000 + between(0, 64)*4096
		dataEnd = dataStart + between(4, 1000)*1024
		brk = dataEnd + between(0x100000, 0x4000000)
		stack = 0x7ffc00000000 + between(0, 0x3ffffff)*16
		argStart = stack + 0xd00 + between(0, 256)*8
		argEnd = argStart + uint64(max(len(p.cmdline), 1))
		envStart = argEnd
		envEnd = envStart + between(200, 3000)
	}
	exitSignal := 17
	f := []any{
		p.pid, "(" + p.comm + ")", string(p.state), p.ppid, p.pgrp, p.sid, p.tty, tpgid, p.flags,
		p.minflt, p.cminflt, p.majflt, p.cmajflt, p.utime, p.stime, p.cutime, p.cstime,
		prio, p.nice, p.threads, 0, p.start, p.vmKB * 1024, p.rssKB() / 4, uint64(unlimited),
		codeStart, codeEnd, stack, 0, 0, 0, 0, p.sigIgn, p.sigCgt, wchan, 0, 0, exitSignal,
		p.cpu, p.rtprio, policy, p.delay, p.guest, 0,
		dataStart, dataEnd, brk, argStart, argEnd, envStart, envEnd, p.exitCode,
	}
	s := make([]string, len(f))
	for i, v := range f {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, " ") + "\n"
}

// status writes /proc/[pid]/status as proc_pid_status does.
func status(p *proc) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	name := strings.ReplaceAll(strings.ReplaceAll(p.comm, `\`, `\\`), "\n", `\n`)
	w("Name:\t%s\n", name)
	if !p.zombie {
		w("Umask:\t0022\n")
	}
	w("State:\t%c (%s)\n", p.state, stateNames[p.state])
	w("Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", p.pid, p.pid, p.ppid)
	w("Uid:\t%d\t%d\t%d\t%d\n", p.uid, p.uid, p.uid, p.uid)
	w("Gid:\t%d\t%d\t%d\t%d\n", p.gid, p.gid, p.gid, p.gid)
	fdSize := 64
	for fdSize < p.fds || fdSize < p.fdSizeBits {
		fdSize *= 2
	}
	if p.zombie {
		fdSize = 0
	}
	w("FDSize:\t%d\n", fdSize)
	w("Groups:\t")
	for i, g := range p.groups {
		if i > 0 {
			w(" ")
		}
		w("%d", g)
	}
	w(" \n")
	ns := func(host int, nested ...int) {
		w("%d", host)
		for _, n := range nested {
			w("\t%d", n)
		}
		w("\n")
	}
	w("NStgid:\t")
	ns(p.pid, p.nsPIDs...)
	w("NSpid:\t")
	ns(p.pid, p.nsPIDs...)
	var nsGroup []int
	if len(p.nsPIDs) > 0 {
		nsGroup = []int{1}
	}
	w("NSpgid:\t")
	ns(p.pgrp, nsGroup...)
	w("NSsid:\t")
	ns(p.sid, nsGroup...)
	kt := 0
	if p.kthread {
		kt = 1
	}
	w("Kthread:\t%d\n", kt)
	if !p.kthread && !p.zombie {
		kb := func(name string, v uint64) { w("%s:\t%8d kB\n", name, v) }
		rss := p.rssKB()
		kb("VmPeak", p.peakKB)
		kb("VmSize", p.vmKB)
		kb("VmLck", 0)
		kb("VmPin", 0)
		kb("VmHWM", rss+rss/10)
		kb("VmRSS", rss)
		kb("RssAnon", p.anonKB)
		kb("RssFile", p.fileKB)
		kb("RssShmem", p.shmemKB)
		kb("VmData", p.anonKB+p.anonKB/5+132)
		kb("VmStk", 132)
		kb("VmExe", (p.vmKB/400+20)&^3)
		kb("VmLib", (p.vmKB/60+8)&^3)
		kb("VmPTE", (p.vmKB/2000+44)&^3)
		kb("VmSwap", p.swapKB)
		kb("HugetlbPages", 0)
		w("CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n")
	}
	w("Threads:\t%d\n", p.threads)
	w("SigQ:\t0/%d\n", nprocLimit)
	w("SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n")
	w("SigIgn:\t%016x\nSigCgt:\t%016x\n", p.sigIgn, p.sigCgt)
	capPrm, capBnd := "000001ffffffffff", "000001ffffffffff"
	switch {
	case p.contained && p.uid == 0:
		capPrm, capBnd = "00000000a80425fb", "00000000a80425fb"
	case p.contained:
		capPrm, capBnd = "0000000000000000", "00000000a80425fb"
	case p.uid != 0:
		capPrm = "0000000000000000"
	}
	w("CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\nCapAmb:\t0000000000000000\n", capPrm, capPrm, capBnd)
	seccomp, filters := 0, 0
	if p.contained {
		seccomp, filters = 2, 1
	}
	w("NoNewPrivs:\t0\nSeccomp:\t%d\nSeccomp_filters:\t%d\n", seccomp, filters)
	w("Speculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\n")
	w("Cpus_allowed:\tffffffff\nCpus_allowed_list:\t0-%d\n", ncpu-1)
	w("Mems_allowed:\t%s00000003\nMems_allowed_list:\t0-1\n", strings.Repeat("00000000,", 31))
	w("voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n", p.vol, p.nonvol)
	return b.String()
}

func ioFile(p *proc) string {
	names := []string{"rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes", "cancelled_write_bytes"}
	var b strings.Builder
	for i, n := range names {
		fmt.Fprintf(&b, "%s: %d\n", n, p.io[i])
	}
	return b.String()
}

// limits writes /proc/[pid]/limits as proc_pid_limits does.
func limits(p *proc) string {
	procs := [2]uint64{nprocLimit, nprocLimit}
	core := [2]uint64{0, unlimited}
	if p.contained {
		procs, core = [2]uint64{unlimited, unlimited}, [2]uint64{unlimited, unlimited}
	}
	rows := []struct {
		name  string
		v     [2]uint64
		units string
	}{
		{"Max cpu time", [2]uint64{unlimited, unlimited}, "seconds"},
		{"Max file size", [2]uint64{unlimited, unlimited}, "bytes"},
		{"Max data size", [2]uint64{unlimited, unlimited}, "bytes"},
		{"Max stack size", [2]uint64{8388608, unlimited}, "bytes"},
		{"Max core file size", core, "bytes"},
		{"Max resident set", [2]uint64{unlimited, unlimited}, "bytes"},
		{"Max processes", procs, "processes"},
		{"Max open files", p.nofile, "files"},
		{"Max locked memory", [2]uint64{8388608, 8388608}, "bytes"},
		{"Max address space", p.as, "bytes"},
		{"Max file locks", [2]uint64{unlimited, unlimited}, "locks"},
		{"Max pending signals", [2]uint64{nprocLimit, nprocLimit}, "signals"},
		{"Max msgqueue size", [2]uint64{819200, 819200}, "bytes"},
		{"Max nice priority", [2]uint64{0, 0}, ""},
		{"Max realtime priority", [2]uint64{0, 0}, ""},
		{"Max realtime timeout", [2]uint64{unlimited, unlimited}, "us"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-25s ", r.name)
		for _, v := range r.v {
			if v == unlimited {
				fmt.Fprintf(&b, "%-20s ", "unlimited")
			} else {
				fmt.Fprintf(&b, "%-20d ", v)
			}
		}
		if r.units != "" {
			fmt.Fprintf(&b, "%-10s", r.units)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// cgroupFile writes /proc/[pid]/cgroup: one line a v1 hierarchy and, the
// host having no cgroup2 mount, no "0::" line.
func cgroupFile(p *proc) string {
	var b strings.Builder
	for _, h := range hierarchies {
		path := "/"
		switch p.place {
		case inContainer:
			path = p.cgroup
		case inService:
			if h.managed {
				path = p.cgroup
			}
		case inInit:
			if h.controllers == "name=systemd" || h.controllers == "pids" {
				path = p.cgroup
			}
		case inSession:
			switch {
			case h.controllers == "name=systemd" || h.controllers == "pids":
				path = p.cgroup
			case h.managed:
				path = "/user.slice"
			}
		}
		fmt.Fprintf(&b, "%d:%s:%s\n", h.id, h.controllers, path)
	}
	return b.String()
}
