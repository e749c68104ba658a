// A C program that spends its time in one named function, built by the
// profile tests with frame pointers so that the kernel can walk its stack.
#include <stdio.h>
#include <stdlib.h>

volatile unsigned long sink;
volatile unsigned long n = 1UL << 20;

// noipa: without it the compiler sees that the function is pure and calls
// it once, outside the loop.
__attribute__((noinline, noipa)) unsigned long spin_in_c_function(unsigned long n)
{
	unsigned long x = 0;
	for (unsigned long i = 0; i < n; i++)
		x += i * i ^ (x >> 3);
	return x;
}

__attribute__((noinline, noipa)) void spin_forever(void)
{
	for (;;)
		sink += spin_in_c_function(n);
}

int main(void)
{
	printf("ready\n");
	fflush(stdout);
	spin_forever();
	return 0;
}
