#!/bin/sh
# Installs the Debian packages the tests run against, only when missing.
# The tests compare mihari with the real programs: node_exporter and
# process-exporter (same metrics), promtool (queries mihari's API, checks
# and tests its rules), Alertmanager (receives its alerts); tmux is the
# terminal that mihari top's live view is tested on; clang-19, llvm-19
# (llvm-strip) and libbpf-dev's headers compile the BPF programs again to
# check that the committed objects match their source; gcc builds the C
# program that mihari profile is tested on; chromium is the headless
# browser the web pages are tested in; prometheus (its remote-write
# receiver) and victoria-metrics receive mihari's remote write.
#
# With "bench", it also installs the peers the benchmarks run against:
# bpftrace (trace open's cost) and linux-perf (profile's).
set -eu

need=""
check() { # file package
	if [ ! -e "$1" ]; then
		need="$need $2"
	fi
}
check /usr/bin/prometheus-node-exporter prometheus-node-exporter
check /usr/bin/tmux tmux
check /usr/bin/prometheus-process-exporter prometheus-process-exporter
check /usr/bin/promtool prometheus
check /usr/bin/prometheus-alertmanager prometheus-alertmanager
check /usr/bin/clang-19 clang-19
check /usr/bin/llvm-strip-19 llvm-19
check /usr/include/bpf/bpf_helpers.h libbpf-dev
check /usr/bin/gcc gcc
check /usr/bin/chromium chromium
check /usr/bin/victoria-metrics victoria-metrics
if [ "${1:-}" = bench ]; then
	check /usr/bin/bpftrace bpftrace
	check /usr/bin/perf linux-perf
fi

if [ -z "$need" ]; then
	echo "test-deps: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "test-deps: missing:$need; install them as root (apt-get install$need) or the tests that need them will skip" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 0
fi
echo "test-deps: installing$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
