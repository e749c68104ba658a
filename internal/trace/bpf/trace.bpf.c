// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//
// mihari's file tracing, on the syscall tracepoints (no kprobes):
//
//  - opens: open, openat, openat2 and creat. The entry saves the arguments
//    per thread; the exit, knowing the result, sends one event with the
//    path through the ring buffer. An event that does not fit is counted,
//    never lost silently.
//  - files (when files_mode is set): read, pread64, readv, preadv and
//    preadv2, timed from entry to exit per thread, and opens, added up in
//    the kernel per process and file. The file is known by its device and
//    inode, read from the fd table at entry, so an fd number reused for
//    another file is never confused with the first.
//
// Paths are named in the kernel, when the open returns, by walking the
// dentries up to the task's root (crossing mounts): the directory a
// relative path is relative to (full_path, trace open -F), or the opened
// file itself (files_mode). No /proc lookup afterwards can race with the
// process changing directory or exiting.
//
// Filters are constants set by the loader: everything that does not pass
// them costs one comparison.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define PATH_MAX 4096
#define NAME_MAX 255
#define TASK_COMM_LEN 16
// The names of a walked path follow the path in event.buf: at most
// PARTS_END bytes in all, MAX_DEPTH names.
#define PARTS_END 8192
#define MAX_DEPTH 64
#define INVALID_UID ((u32)-1)
#define AT_FDCWD -100

// Which syscall an open event comes from.
enum { SC_OPEN, SC_OPENAT, SC_OPENAT2, SC_CREAT };

// What event.buf holds after the path (event.parts).
enum {
	PARTS_NONE,
	PARTS_DIR,  // the directory a relative path is relative to
	PARTS_FILE, // the opened file
};
// Set in event.parts when the walk stopped before the root (too deep, or
// no room left): the names are a tail of the path.
#define PARTS_CUT 0x100

// Counters, indices into the per-CPU array "counters".
enum {
	CNT_LOST,         // open events the ring buffer had no room for
	CNT_STARTS_FULL,  // opens not traced: too many threads inside open at once
	CNT_FILES_FULL,   // reads or opens not added up: the files map was full
	CNT_READS_FULL,   // reads not timed: too many threads inside read at once
	CNT_MAX,
};

const volatile u32 targ_tgid = 0;
// The tracer's own process, never traced: its reading of /proc would
// otherwise feed its own output.
const volatile u32 self_tgid = 0;
const volatile u32 targ_tid = 0;
const volatile u32 targ_uid = INVALID_UID;
const volatile bool targ_failed = false;
// -f: an open passes if its access mode is one of targ_accmodes (bit
// 1 << (flags & O_ACCMODE)) or it has one of targ_flagbits.
const volatile u32 targ_accmodes = 0;
const volatile u32 targ_flagbits = 0;
// --cgroup on a cgroup v2 directory, which the loader puts in
// targ_cgroups: bpf_current_task_under_cgroup needs no depth, so it also
// holds inside a cgroup namespace.
const volatile bool targ_cgroup = false;
// -n: a substring of the command name.
const volatile char targ_comm[TASK_COMM_LEN] = {};
const volatile u32 targ_comm_len = 0;
// files_mode adds up reads and opens per file; send_failed sends failed
// opens as events (trace files wants successful ones only).
const volatile bool files_mode = false;
const volatile bool send_failed = true;
// files_all adds up reads of every kind of file; by default only regular
// files (which /proc, /sys and cgroup files are), so that a thread
// blocked reading a pipe, socket or terminal is not taken for a costly
// file.
const volatile bool files_all = false;
// full_path names the directory of each relative path (trace open -F).
const volatile bool full_path = false;
// The reader is woken only once this much waits in the ring buffer (it
// also polls every few milliseconds): a wakeup per event would cost more
// than the event, an inter-processor interrupt and, in a VM, an exit.
// 0 wakes it for every event.
const volatile u64 wakeup_bytes = 0;

#define S_IFMT 00170000
#define S_IFREG 0100000

struct open_args {
	u64 fname;
	s64 dfd;
	u32 flags;
	u32 mode;
	u32 sc;
};

struct event {
	u64 ts;        // CLOCK_MONOTONIC, ns
	u64 cgroup_id; // cgroup v2 of the task
	u64 ino;       // of the opened file, when files_mode and ret >= 0
	u32 pid;       // tgid
	u32 tid;
	u32 uid;
	s32 ret;       // fd, or -errno
	s32 dfd;
	u32 flags;
	u32 mode;
	u32 dev;       // kernel encoding: major << 20 | minor
	u32 sc;
	u32 path_len;  // bytes of the path in buf, with its NUL
	u32 parts;     // PARTS_*, what follows the path in buf
	u32 parts_len; // bytes of those names, each with its NUL, leaf first
	char comm[TASK_COMM_LEN];
	// The path as passed, then the names of a walked path. The slack
	// after PARTS_END lets a name be read at any offset below it.
	char buf[PARTS_END + NAME_MAX + 1];
};

struct file_key {
	u64 ino;
	u32 dev;
	u32 tgid;
};

struct file_stats {
	u64 opens;
	u64 reads;
	u64 bytes;
	u64 ns;
	u64 max_ns;
};

struct read_start {
	u64 ts;
	u64 ino;
	u32 dev;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct open_args);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} targ_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); // the loader sets --buffer-size
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct read_start);
} reads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384); // the loader sets --max-files
	__type(key, struct file_key);
	__type(value, struct file_stats);
} files SEC(".maps");

static __always_inline void count(u32 i)
{
	u64 *c = bpf_map_lookup_elem(&counters, &i);
	if (c)
		(*c)++;
}

static __always_inline bool comm_ok(void)
{
	char comm[TASK_COMM_LEN];
	u32 n = targ_comm_len;

	if (!n)
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (u32 i = 0; i < TASK_COMM_LEN; i++) {
		bool match = true;
		if (i + n > TASK_COMM_LEN - 1)
			return false;
		for (u32 j = 0; j < TASK_COMM_LEN - 1; j++) {
			if (j >= n)
				break;
			if (i + j >= TASK_COMM_LEN || comm[i + j] != targ_comm[j]) {
				match = false;
				break;
			}
		}
		if (match)
			return true;
		if (!comm[i])
			return false;
	}
	return false;
}

// task_ok applies the filters that depend only on the task.
static __always_inline bool task_ok(void)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, tid = (u32)id;

	if (tgid == self_tgid)
		return false;
	if (targ_tgid && targ_tgid != tgid)
		return false;
	if (targ_tid && targ_tid != tid)
		return false;
	if (targ_uid != INVALID_UID && targ_uid != (u32)bpf_get_current_uid_gid())
		return false;
	if (targ_cgroup && bpf_current_task_under_cgroup(&targ_cgroups, 0) != 1)
		return false;
	return comm_ok();
}

static __always_inline bool flags_ok(u32 flags)
{
	if (!targ_accmodes && !targ_flagbits)
		return true;
	return (targ_accmodes & (1u << (flags & 3))) || (flags & targ_flagbits);
}

// file_of returns the file open as fd in the current task, or NULL.
static __always_inline struct file *file_of(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline bool inode_of(int fd, u32 *dev, u64 *ino)
{
	struct file *f = file_of(fd);
	struct inode *inode;

	if (!f)
		return false;
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return false;
	if (!files_all && (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return false;
	*ino = BPF_CORE_READ(inode, i_ino);
	*dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return true;
}

// name_parts appends to e->buf, after the path, the names from dentry d
// of mount vm up to the task's root, leaf first, each with its NUL, and
// sets e->parts and e->parts_len. The offset lives in the map value, not
// in a register: the verifier does not track it there, so the states of
// successive iterations match and the loop is verified in linear time.
static __always_inline void name_parts(struct event *e, u32 kind, struct dentry *d, struct vfsmount *vm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *root_d = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(task, fs, root.mnt);
	u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (struct mount *)((void *)vm - mnt_off);

	e->parts = kind | PARTS_CUT;
	e->parts_len = 0;
	for (int i = 0; i < MAX_DEPTH; i++) {
		struct dentry *parent, *mnt_root;
		const unsigned char *name;
		u32 off;
		long n;

		if (!d || (d == root_d && vm == root_m)) {
			e->parts = kind;
			break;
		}
		parent = BPF_CORE_READ(d, d_parent);
		mnt_root = BPF_CORE_READ(vm, mnt_root);
		if (d == mnt_root || d == parent) {
			struct mount *pm = BPF_CORE_READ(m, mnt_parent);
			// The root of the mount tree, or of a detached mount.
			if (d != mnt_root || pm == m) {
				e->parts = kind;
				break;
			}
			// Up from the mount's root to where it is mounted.
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = pm;
			vm = (struct vfsmount *)((void *)pm + mnt_off);
			continue;
		}
		off = e->path_len + e->parts_len;
		if (off > PARTS_END - NAME_MAX - 1)
			break;
		name = BPF_CORE_READ(d, d_name.name);
		n = bpf_probe_read_kernel_str(&e->buf[off & (PARTS_END - 1)], NAME_MAX + 1, name);
		if (n <= 0)
			break;
		e->parts_len += n;
		d = parent;
	}
}

static __always_inline struct file_stats *stats_of(u32 tgid, u32 dev, u64 ino)
{
	struct file_key k = {.ino = ino, .dev = dev, .tgid = tgid};
	static const struct file_stats zero;
	struct file_stats *s = bpf_map_lookup_elem(&files, &k);

	if (s)
		return s;
	if (bpf_map_update_elem(&files, &k, &zero, BPF_NOEXIST) && bpf_map_lookup_elem(&files, &k) == NULL) {
		count(CNT_FILES_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&files, &k);
}

static __always_inline int enter_open(u64 fname, s64 dfd, u32 flags, u32 mode, u32 sc)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_args a = {.fname = fname, .dfd = dfd, .flags = flags, .mode = mode, .sc = sc};

	if (!task_ok() || !flags_ok(flags))
		return 0;
	if (bpf_map_update_elem(&starts, &tid, &a, BPF_ANY))
		count(CNT_STARTS_FULL);
	return 0;
}

static __always_inline int exit_open(long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id, zero = 0;
	struct open_args *a = bpf_map_lookup_elem(&starts, &tid);
	struct event *e;
	u64 size, wakeup;
	long n;

	if (!a)
		return 0;
	if ((targ_failed && ret >= 0) || (!send_failed && ret < 0))
		goto out;
	e = bpf_map_lookup_elem(&scratch, &zero);
	if (!e)
		goto out;
	e->ts = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = id >> 32;
	e->tid = tid;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->dfd = a->dfd;
	e->flags = a->flags;
	e->mode = a->mode;
	e->sc = a->sc;
	e->dev = 0;
	e->ino = 0;
	if (files_mode && ret >= 0 && inode_of(ret, &e->dev, &e->ino)) {
		struct file_stats *s = stats_of(e->pid, e->dev, e->ino);
		if (s)
			s->opens++;
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	n = bpf_probe_read_user_str(e->buf, PATH_MAX, (const void *)a->fname);
	if (n < 0)
		n = 0;
	e->path_len = n;
	e->parts = PARTS_NONE;
	e->parts_len = 0;
	if (files_mode && ret >= 0) {
		struct file *f = file_of(ret);
		if (f)
			name_parts(e, PARTS_FILE, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
	} else if (full_path && n > 1 && e->buf[0] != '/') {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if (a->dfd == AT_FDCWD) {
			name_parts(e, PARTS_DIR, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt));
		} else {
			struct file *f = file_of(a->dfd);
			if (f)
				name_parts(e, PARTS_DIR, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
		}
	}
	size = __builtin_offsetof(struct event, buf) + (u64)e->path_len + e->parts_len;
	if (size > sizeof(*e))
		size = sizeof(*e);
	wakeup = 0;
	if (wakeup_bytes)
		wakeup = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, e, size, wakeup))
		count(CNT_LOST);
out:
	bpf_map_delete_elem(&starts, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open_(struct trace_event_raw_sys_enter *ctx)
{
	return enter_open(ctx->args[0], AT_FDCWD, ctx->args[1], ctx->args[2], SC_OPEN);
}

SEC("tracepoint/syscalls/sys_enter_creat")
int enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	// creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode).
	return enter_open(ctx->args[0], AT_FDCWD, 01 | 0100 | 01000, ctx->args[1], SC_CREAT);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_open(ctx->args[1], (s32)ctx->args[0], ctx->args[2], ctx->args[3], SC_OPENAT);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return enter_open(ctx->args[1], (s32)ctx->args[0], how.flags, how.mode, SC_OPENAT2);
}

SEC("tracepoint/syscalls/sys_exit_open")
int exit_open_(struct trace_event_raw_sys_exit *ctx) { return exit_open(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_creat")
int exit_creat(struct trace_event_raw_sys_exit *ctx) { return exit_open(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx) { return exit_open(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx) { return exit_open(ctx->ret); }

static __always_inline int enter_read(int fd)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct read_start s = {};

	if (!task_ok() || !inode_of(fd, &s.dev, &s.ino))
		return 0;
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&reads, &tid, &s, BPF_ANY))
		count(CNT_READS_FULL);
	return 0;
}

static __always_inline int exit_read(long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;
	struct read_start *s = bpf_map_lookup_elem(&reads, &tid);
	struct file_stats *st;
	u64 ns;

	if (!s)
		return 0;
	ns = bpf_ktime_get_ns() - s->ts;
	st = stats_of(id >> 32, s->dev, s->ino);
	if (st) {
		st->reads++;
		if (ret > 0)
			st->bytes += ret;
		st->ns += ns;
		if (ns > st->max_ns)
			st->max_ns = ns;
	}
	bpf_map_delete_elem(&reads, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_read")
int enter_read_(struct trace_event_raw_sys_enter *ctx) { return enter_read(ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_pread64")
int enter_pread64(struct trace_event_raw_sys_enter *ctx) { return enter_read(ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_readv")
int enter_readv(struct trace_event_raw_sys_enter *ctx) { return enter_read(ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_preadv")
int enter_preadv(struct trace_event_raw_sys_enter *ctx) { return enter_read(ctx->args[0]); }

SEC("tracepoint/syscalls/sys_enter_preadv2")
int enter_preadv2(struct trace_event_raw_sys_enter *ctx) { return enter_read(ctx->args[0]); }

SEC("tracepoint/syscalls/sys_exit_read")
int exit_read_(struct trace_event_raw_sys_exit *ctx) { return exit_read(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_pread64")
int exit_pread64(struct trace_event_raw_sys_exit *ctx) { return exit_read(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_readv")
int exit_readv(struct trace_event_raw_sys_exit *ctx) { return exit_read(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_preadv")
int exit_preadv(struct trace_event_raw_sys_exit *ctx) { return exit_read(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_preadv2")
int exit_preadv2(struct trace_event_raw_sys_exit *ctx) { return exit_read(ctx->ret); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
