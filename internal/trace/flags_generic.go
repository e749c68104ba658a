//go:build !arm64

package trace

// largefile is the kernel's __O_LARGEFILE (x86, riscv and the other
// asm-generic architectures), which golang.org/x/sys gives as 0 on 64-bit,
// where it is implied; 32-bit programs still pass it.
const largefile = 0o100000
