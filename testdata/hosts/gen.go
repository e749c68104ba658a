//go:build ignore

// Gen writes the hand-made "big" fixture tree: a two-socket, 128-CPU
// server with 300 block devices and 100 network interfaces, bigger than
// any machine the fixtures could be captured from. Its output is
// deterministic (fixed seed), so rerunning it changes nothing unless this
// file changed:
//
//	cd testdata/hosts && go run gen.go
//
// The vmstat counter names are taken from vm/proc/vmstat, the captured
// tree, so that the names are real ones of a current kernel.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

const (
	root     = "big"
	cpus     = 128
	packages = 2
	// uptime is 41 days in USER_HZ ticks.
	uptime = 41 * 24 * 3600 * 100
	btime  = 1792411200
)

var rng = rand.New(rand.NewPCG(20261125, 128))

// between returns a number in [lo, hi).
func between(lo, hi uint64) uint64 { return lo + rng.Uint64N(hi-lo) }

func main() {
	if err := os.RemoveAll(root); err != nil {
		log.Fatal(err)
	}
	writeStat()
	write("proc/loadavg", "34.12 30.98 28.45 45/3871 2849123\n")
	writeMeminfo()
	writeVmstat()
	writeDiskstats()
	writeNetDev()
	write("proc/pressure/cpu", "some avg10=12.45 avg60=10.81 avg300=9.02 total=318844915243\n")
	write("proc/pressure/io", "some avg10=3.20 avg60=2.71 avg300=2.05 total=92811473012\n"+
		"full avg10=1.10 avg60=0.96 avg300=0.71 total=40128833190\n")
	write("proc/pressure/memory", "some avg10=0.00 avg60=0.02 avg300=0.11 total=1844719204\n"+
		"full avg10=0.00 avg60=0.00 avg300=0.03 total=611200913\n")
	writeMounts()
	writeSys()
	writeUdev()
}

func write(name, content string) {
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
}

// writeStat writes a /proc/stat whose "cpu" line is the sum of its 128
// "cpuN" lines and whose totals are the sums of their details, as the
// kernel's are.
func writeStat() {
	var b strings.Builder
	var total [10]uint64
	lines := make([]string, cpus)
	for c := range cpus {
		var v [10]uint64
		v[0] = between(uptime/10, uptime/4)   // user
		v[1] = between(0, uptime/200)         // nice
		v[2] = between(uptime/30, uptime/12)  // system
		v[4] = between(uptime/500, uptime/50) // iowait
		v[5] = 0                              // irq: 0 without IRQ time accounting
		v[6] = between(uptime/400, uptime/100)
		v[7] = between(0, uptime/1000) // steal
		v[8] = 0                       // guest
		v[9] = 0                       // guest_nice
		busy := v[0] + v[1] + v[2] + v[4] + v[5] + v[6] + v[7]
		v[3] = uptime - busy // idle
		for i := range v {
			total[i] += v[i]
		}
		lines[c] = fmt.Sprintf("cpu%d %s\n", c, join(v[:]))
	}
	fmt.Fprintf(&b, "cpu  %s\n", join(total[:]))
	for _, l := range lines {
		b.WriteString(l)
	}
	irqs := make([]uint64, 1024)
	var intr uint64
	for i := range irqs {
		if i < 24 || rng.IntN(3) == 0 {
			irqs[i] = between(0, 3_000_000_000)
			intr += irqs[i]
		}
	}
	// The sum over all IRQs also counts architecture-specific interrupts
	// that have no number of their own, so the total exceeds the detail.
	intr += 81_234_567_890
	fmt.Fprintf(&b, "intr %d %s\n", intr, join(irqs))
	fmt.Fprintf(&b, "ctxt %d\n", uint64(912_345_678_901))
	fmt.Fprintf(&b, "btime %d\n", btime)
	fmt.Fprintf(&b, "processes %d\n", 48_211_977)
	fmt.Fprintf(&b, "procs_running %d\n", 41)
	fmt.Fprintf(&b, "procs_blocked %d\n", 3)
	soft := []uint64{1_204_611, 9_811_231_004, 1_442_902_118, 21_903_110_237, 1_110_873_409, 0, 3_118_004, 7_220_481_930, 12_004, 6_012_848_331}
	var softTotal uint64
	for _, v := range soft {
		softTotal += v
	}
	fmt.Fprintf(&b, "softirq %d %s\n", softTotal, join(soft))
	write("proc/stat", b.String())
}

func join(v []uint64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}

// writeMeminfo writes the meminfo of a 512 GiB machine with 1024 2 MiB
// huge pages reserved, in the kernel's layout: the name and colon padded
// to 16 columns, the number to 8.
func writeMeminfo() {
	fields := []struct {
		name string
		kB   uint64
		unit bool
	}{
		{"MemTotal", 527988232, true},
		{"MemFree", 31877316, true},
		{"MemAvailable", 301447008, true},
		{"Buffers", 2811404, true},
		{"Cached", 262144948, true},
		{"SwapCached", 10240, true},
		{"Active", 310998212, true},
		{"Inactive", 142003112, true},
		{"Active(anon)", 181204708, true},
		{"Inactive(anon)", 9874332, true},
		{"Active(file)", 129793504, true},
		{"Inactive(file)", 132128780, true},
		{"Unevictable", 65536, true},
		{"Mlocked", 65536, true},
		{"SwapTotal", 8388604, true},
		{"SwapFree", 8210940, true},
		{"Zswap", 0, true},
		{"Zswapped", 0, true},
		{"Dirty", 184332, true},
		{"Writeback", 1024, true},
		{"AnonPages", 189920112, true},
		{"Mapped", 4120334, true},
		{"Shmem", 1150060, true},
		{"KReclaimable", 11884000, true},
		{"Slab", 15202116, true},
		{"SReclaimable", 11884000, true},
		{"SUnreclaim", 3318116, true},
		{"KernelStack", 131072, true},
		{"PageTables", 1204480, true},
		{"SecPageTables", 0, true},
		{"NFS_Unstable", 0, true},
		{"Bounce", 0, true},
		{"WritebackTmp", 0, true},
		{"CommitLimit", 263994116, true},
		{"Committed_AS", 402118224, true},
		{"VmallocTotal", 34359738367, true},
		{"VmallocUsed", 412004, true},
		{"VmallocChunk", 0, true},
		{"Percpu", 221184, true},
		{"HardwareCorrupted", 0, true},
		{"AnonHugePages", 94371840, true},
		{"ShmemHugePages", 0, true},
		{"ShmemPmdMapped", 0, true},
		{"FileHugePages", 0, true},
		{"FilePmdMapped", 0, true},
		{"CmaTotal", 0, true},
		{"CmaFree", 0, true},
		{"Unaccepted", 0, true},
		{"HugePages_Total", 1024, false},
		{"HugePages_Free", 512, false},
		{"HugePages_Rsvd", 128, false},
		{"HugePages_Surp", 0, false},
		{"Hugepagesize", 2048, true},
		{"Hugetlb", 2097152, true},
		{"DirectMap4k", 1263424, true},
		{"DirectMap2M", 82571264, true},
		{"DirectMap1G", 455081984, true},
	}
	var b strings.Builder
	for _, f := range fields {
		if f.unit {
			fmt.Fprintf(&b, "%-16s%8d kB\n", f.name+":", f.kB)
		} else {
			fmt.Fprintf(&b, "%-16s%8d\n", f.name+":", f.kB)
		}
	}
	write("proc/meminfo", b.String())
}

// writeVmstat writes every counter name of the captured vm tree with a
// value a busy big machine could have.
func writeVmstat() {
	f, err := os.ReadFile("vm/proc/vmstat")
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(f))
	for sc.Scan() {
		name, _, _ := strings.Cut(sc.Text(), " ")
		var v uint64
		if rng.IntN(4) != 0 {
			v = between(0, 1<<uint(rng.IntN(40)+1))
		}
		fmt.Fprintf(&b, "%s %d\n", name, v)
	}
	write("proc/vmstat", b.String())
}

// disk is one block device of the big machine.
type disk struct {
	major, minor int
	name         string
	// partition: its counters are a share of the disk's before it.
	partition bool
}

// disks are 40 SCSI disks with 2 partitions each (120 lines), 20 NVMe
// namespaces with 4 partitions each (100), and 80 device-mapper devices:
// 300 lines, in the kernel's order (by major, then minor, of registration).
func disks() []disk {
	var d []disk
	// sd majors: 8 for the first 16 disks, then 65..71; 16 minors a disk.
	sdMajors := []int{8, 65, 66, 67, 68, 69, 70, 71}
	for i := range 40 {
		major, first := sdMajors[i/16], (i%16)*16
		name := sdName(i)
		d = append(d, disk{major, first, name, false})
		for p := 1; p <= 2; p++ {
			d = append(d, disk{major, first + p, fmt.Sprintf("%s%d", name, p), true})
		}
	}
	// NVMe namespaces and their partitions are dynamic (major 259).
	minor := 0
	for n := range 20 {
		name := fmt.Sprintf("nvme%dn1", n)
		d = append(d, disk{259, minor, name, false})
		minor++
		for p := 1; p <= 4; p++ {
			d = append(d, disk{259, minor, fmt.Sprintf("%sp%d", name, p), true})
			minor++
		}
	}
	for i := range 80 {
		d = append(d, disk{253, i, fmt.Sprintf("dm-%d", i), false})
	}
	return d
}

// sdName is the kernel's sd naming: sda..sdz, sdaa..sdaz, ...
func sdName(i int) string {
	if i < 26 {
		return "sd" + string(rune('a'+i))
	}
	return "sd" + string(rune('a'+i/26-1)) + string(rune('a'+i%26))
}

// writeDiskstats writes /proc/diskstats in the kernel's "%4d %7d %s"
// layout. A real file has one length for all lines; this one mixes the 11
// counters of kernels before 4.18, the 15 of 4.18 to 5.4 and the 17 since
// 5.5, line by line, to test them all at once.
func writeDiskstats() {
	var b strings.Builder
	var parent []uint64
	for i, d := range disks() {
		reads := between(1000, 900_000_000)
		writes := between(1000, 1_200_000_000)
		inflight := between(0, 40)
		v := []uint64{
			reads, reads / between(3, 40), reads * between(8, 256), reads / between(2, 20),
			writes, writes / between(2, 10), writes * between(8, 512), writes / between(1, 8),
			inflight, between(uptime, uptime*8), between(uptime*2, uptime*40),
			between(0, 5_000_000), between(0, 100_000), between(0, 9_000_000_000), between(0, 2_000_000),
			between(0, 40_000_000), between(0, 90_000_000),
		}
		if d.partition {
			// A partition's I/O is part of its disk's.
			pct := between(5, 60)
			for j := range v {
				v[j] = parent[j] * pct / 100
			}
		} else {
			parent = v
		}
		n := []int{17, 15, 11}[i%3]
		fmt.Fprintf(&b, "%4d %7d %s %s\n", d.major, d.minor, d.name, join(v[:n]))
	}
	write("proc/diskstats", b.String())
}

// writeNetDev writes /proc/net/dev with lo, 4 NICs, a bond with 10 VLANs,
// docker0, 19 Docker bridges, virbr0 and 63 veths: 100 interfaces, in the
// kernel's "%6s: %7llu ..." layout under its two header lines.
func writeNetDev() {
	names := []string{"lo", "eno1", "eno2", "ens1f0np0", "ens1f1np1", "bond0"}
	for v := range 10 {
		names = append(names, fmt.Sprintf("bond0.%d", 100+v*10))
	}
	names = append(names, "docker0")
	for range 19 {
		names = append(names, fmt.Sprintf("br-%012x", rng.Uint64N(1<<48)))
	}
	names = append(names, "virbr0")
	for range 63 {
		names = append(names, fmt.Sprintf("veth%07x", rng.Uint64N(1<<28)))
	}
	var b strings.Builder
	b.WriteString("Inter-|   Receive                                                |  Transmit\n")
	b.WriteString(" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	for i, name := range names {
		rxp, txp := between(1000, 50_000_000_000), between(1000, 40_000_000_000)
		var errs, drops uint64
		if i > 0 && i < 5 {
			errs, drops = between(0, 40), between(0, 120_000)
		}
		fmt.Fprintf(&b, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n", name,
			rxp*between(64, 1500), rxp, errs, drops, 0, 0, 0, rxp/between(50, 5000),
			txp*between(64, 1500), txp, 0, drops/7, 0, 0, 0, 0)
	}
	write("proc/net/dev", b.String())
}

func writeMounts() {
	write("proc/1/mounts", `/dev/mapper/vg0-root / xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
devtmpfs /dev devtmpfs rw,nosuid,size=263994116k,nr_inodes=65998529,mode=755,inode64 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0
devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0
tmpfs /run tmpfs rw,nosuid,nodev,size=105597648k,nr_inodes=819200,mode=755,inode64 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
pstore /sys/fs/pstore pstore rw,nosuid,nodev,noexec,relatime 0 0
efivarfs /sys/firmware/efi/efivars efivarfs rw,nosuid,nodev,noexec,relatime 0 0
bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=31012 0 0
hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0
mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0
debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0
tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0
fusectl /sys/fs/fuse/connections fusectl rw,nosuid,nodev,noexec,relatime 0 0
configfs /sys/kernel/config configfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/sda2 /boot xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
/dev/sda1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=winnt,errors=remount-ro 0 0
/dev/mapper/vg0-var /var xfs rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
/dev/mapper/vg0-home /home xfs rw,nodev,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0
/dev/nvme0n1p1 /srv/data0 ext4 rw,noatime,stripe=64 0 0
/dev/nvme1n1p1 /srv/data1 ext4 rw,noatime,stripe=64 0 0
/dev/mapper/luks-3f1c0b2e /srv/secure ext4 rw,relatime 0 0
/dev/sdb1 /mnt/backup\040disk ext4 rw,nosuid,nodev,relatime 0 0
//nas.example.internal/Team\040Share /mnt/Team\040Share cifs rw,relatime,vers=3.1.1,cache=strict,username=svc-backup,uid=0,noforceuid,gid=0,noforcegid,addr=192.0.2.10,file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,rsize=4194304,wsize=4194304,bsize=1048576,echo_interval=60,actimeo=1,closetimeo=1 0 0
nfs01.example.internal:/exports/home /net/home nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=192.0.2.20,local_lock=none,addr=192.0.2.30 0 0
/dev/sdc1 /mnt/odd\011tab\134backslash ext4 ro,relatime 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=52798820k,nr_inodes=13199705,mode=700,uid=1000,gid=1000,inode64 0 0
overlay /var/lib/docker/overlay2/9c1e3b7a5d2f/merged overlay rw,relatime,lowerdir=/var/lib/docker/overlay2/l/ABCDEF:/var/lib/docker/overlay2/l/GHIJKL,upperdir=/var/lib/docker/overlay2/9c1e3b7a5d2f/diff,workdir=/var/lib/docker/overlay2/9c1e3b7a5d2f/work,nouserxattr 0 0
nsfs /run/docker/netns/4f2a9e1c7b3d nsfs rw 0 0
sshfs#admin@host: /mnt/remote fuse.sshfs rw,nosuid,nodev,relatime,user_id=0,group_id=0 0 0
`)
}

// writeSys writes the topology of two 32-core packages with two threads a
// core, numbered as Intel servers number them: cpu0-31 are the first
// threads of package 0, cpu32-63 those of package 1, cpu64-95 and
// cpu96-127 their siblings. Throttle counts are per core (shared by its two
// threads) and per package (shared by all its CPUs).
func writeSys() {
	coreThrottle := make([]uint64, packages*32)
	for i := range coreThrottle {
		if rng.IntN(3) == 0 {
			coreThrottle[i] = between(1, 5000)
		}
	}
	pkgThrottle := []uint64{18214, 902}
	for c := range cpus {
		pkg, core := (c/32)%packages, c%32
		dir := fmt.Sprintf("sys/devices/system/cpu/cpu%d/", c)
		write(dir+"topology/physical_package_id", fmt.Sprintf("%d\n", pkg))
		write(dir+"topology/core_id", fmt.Sprintf("%d\n", core))
		write(dir+"thermal_throttle/core_throttle_count", fmt.Sprintf("%d\n", coreThrottle[pkg*32+core]))
		write(dir+"thermal_throttle/package_throttle_count", fmt.Sprintf("%d\n", pkgThrottle[pkg]))
	}
	write("sys/devices/system/cpu/isolated", "2-5,64\n")
	write("sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm \n")
	write("sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n")
}

// writeUdev writes the udev database entries of a few of the disks: two ATA
// disks (an SSD and a spinning one), a partition, two NVMe namespaces, and
// three device-mapper devices (LVM and LUKS).
func writeUdev() {
	ata := func(model, serial string, rpm int, path string) string {
		return fmt.Sprintf(`S:disk/by-id/ata-%[1]s_%[2]s
S:disk/by-path/%[4]s
I:4118022
E:ID_ATA=1
E:ID_TYPE=disk
E:ID_BUS=ata
E:ID_MODEL=%[1]s
E:ID_MODEL_ENC=%[1]s
E:ID_REVISION=RVT04B6Q
E:ID_SERIAL=%[1]s_%[2]s
E:ID_SERIAL_SHORT=%[2]s
E:ID_ATA_WRITE_CACHE=1
E:ID_ATA_WRITE_CACHE_ENABLED=1
E:ID_ATA_FEATURE_SET_SMART=1
E:ID_ATA_FEATURE_SET_SMART_ENABLED=1
E:ID_ATA_ROTATION_RATE_RPM=%[3]d
E:ID_ATA_SATA=1
E:ID_WWN=0x5002538e40a1b2c3
E:ID_PATH=%[4]s
E:ID_PATH_TAG=%[5]s
E:ID_PART_TABLE_TYPE=gpt
E:ID_PART_TABLE_UUID=8a3f0d52-6b1e-4c7a-9e2d-1f0b3c4d5e6f
G:systemd
Q:systemd
V:1
`, model, serial, rpm, path, strings.NewReplacer(":", "_", ".", "_", "-", "_").Replace(path))
	}
	write("udev/b8:0", ata("Samsung_SSD_870_EVO_1TB", "S6PTNM0T512345X", 0, "pci-0000:00:17.0-ata-1.0"))
	write("udev/b8:16", ata("ST8000NM000A-2KE101", "WKD3CHXJ", 7200, "pci-0000:00:17.0-ata-2.0"))
	write("udev/b8:17", `S:disk/by-uuid/5e0c8c1a-2b6f-4f3e-8d7a-0c9b8a7f6e5d
S:disk/by-label/backup\x20disk
I:4118390
E:ID_ATA=1
E:ID_MODEL=ST8000NM000A-2KE101
E:ID_SERIAL_SHORT=WKD3CHXJ
E:ID_PATH=pci-0000:00:17.0-ata-2.0
E:ID_FS_LABEL=backup_disk
E:ID_FS_LABEL_ENC=backup\x20disk
E:ID_FS_UUID=5e0c8c1a-2b6f-4f3e-8d7a-0c9b8a7f6e5d
E:ID_FS_TYPE=ext4
E:ID_FS_USAGE=filesystem
E:ID_PART_ENTRY_NUMBER=1
E:ID_PART_ENTRY_TYPE=0fc63daf-8483-4772-8e79-3d69d8477de4
G:systemd
Q:systemd
V:1
`)
	for i, serial := range []string{"S64DNE0R801234", "S64DNE0R805678"} {
		write(fmt.Sprintf("udev/b259:%d", i*5), fmt.Sprintf(`S:disk/by-id/nvme-SAMSUNG_MZQL23T8HCLS-00A07_%[1]s
S:disk/by-path/pci-0000:%02[2]x:00.0-nvme-1
I:4117730
E:ID_SERIAL=SAMSUNG MZQL23T8HCLS-00A07_%[1]s
E:ID_SERIAL_SHORT=%[1]s
E:ID_WWN=eui.3634473052801234002538450000000%[3]d
E:ID_MODEL=SAMSUNG MZQL23T8HCLS-00A07
E:ID_REVISION=GDC5602Q
E:ID_NSID=1
E:ID_PATH=pci-0000:%02[2]x:00.0-nvme-1
E:ID_PATH_TAG=pci-0000_%02[2]x_00_0-nvme-1
E:ID_PART_TABLE_TYPE=gpt
G:systemd
Q:systemd
V:1
`, serial, 0x41+i, i+1))
	}
	for i, lv := range []string{"root", "var", "home"} {
		write(fmt.Sprintf("udev/b253:%d", i), fmt.Sprintf(`S:mapper/vg0-%[1]s
S:vg0/%[1]s
S:disk/by-id/dm-name-vg0-%[1]s
S:disk/by-id/dm-uuid-LVM-Xq3kP9zR2mL8vN4tY7wB1cD6eF0gH5jK%[2]s
I:4120004
E:DM_UDEV_DISABLE_LIBRARY_FALLBACK_FLAG=1
E:DM_UDEV_PRIMARY_SOURCE_FLAG=1
E:DM_UDEV_RULES_VSN=3
E:DM_NAME=vg0-%[1]s
E:DM_UUID=LVM-Xq3kP9zR2mL8vN4tY7wB1cD6eF0gH5jK%[2]s
E:DM_SUSPENDED=0
E:DM_VG_NAME=vg0
E:DM_LV_NAME=%[1]s
E:ID_FS_TYPE=xfs
E:ID_FS_USAGE=filesystem
G:systemd
Q:systemd
V:1
`, lv, fmt.Sprintf("a1B2c3D4e5F6g7H8i9J0k1L2m3N4o%03d", i)))
	}
	write("udev/b253:3", `S:mapper/luks-3f1c0b2e
S:disk/by-id/dm-name-luks-3f1c0b2e
S:disk/by-id/dm-uuid-CRYPT-LUKS2-3f1c0b2e9d8a4c7b6e5f4a3b2c1d0e9f-luks-3f1c0b2e
I:4121887
E:DM_UDEV_DISABLE_LIBRARY_FALLBACK_FLAG=1
E:DM_UDEV_PRIMARY_SOURCE_FLAG=1
E:DM_UDEV_RULES_VSN=3
E:DM_NAME=luks-3f1c0b2e
E:DM_UUID=CRYPT-LUKS2-3f1c0b2e9d8a4c7b6e5f4a3b2c1d0e9f-luks-3f1c0b2e
E:DM_SUSPENDED=0
E:ID_FS_TYPE=ext4
E:ID_FS_USAGE=filesystem
G:systemd
Q:systemd
V:1
`)
}
