package trace

// largefile is the kernel's O_LARGEFILE on arm64, which golang.org/x/sys
// gives as 0 since it is implied on 64-bit; 32-bit programs still pass it.
const largefile = 0o400000
