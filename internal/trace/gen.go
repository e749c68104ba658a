package trace

// The BPF programs are compiled by `go generate` (clang and libbpf's
// headers, Debian's clang-19 and libbpf-dev) and the results committed, so
// that building mihari needs neither; TestGeneratedInSync checks that they
// match their source.
//go:generate go tool bpf2go -cc clang-19 -cflags "-O2 -g -Wall -Werror" -target bpfel -type event -type file_key -type file_stats trace bpf/trace.bpf.c -- -I./bpf
