// Command workload does a known amount of work, so that tests can check
// what mihari measures of it. Tests build it under the name they want to
// see as the process's comm.
//
//	workload -user 1s -write 1MiB -file /tmp/x -then sleep
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	user := flag.Duration("user", 0, "burn this much user CPU (on one thread)")
	sys := flag.Duration("sys", 0, "burn this much system CPU, reading -sysfile over and over")
	sysFile := flag.String("sysfile", "/proc/self/maps", "pseudo-file read to burn system CPU")
	write := flag.Int("write", 0, "write this many bytes to -file and fsync them")
	file := flag.String("file", "", "file for -write")
	then := flag.String("then", "exit", "after the work: exit, sleep (until killed), spin (burn user CPU until killed), spin-later (the same on a thread started after 1s), sysread (burn system CPU reading -sysfile until killed), or read (read -read-files in turn until killed)")
	readFiles := flag.String("read-files", "", "comma-separated files that -then read reads in full, one after another, over and over")
	opens := flag.String("opens", "", "do the opens listed in this JSON file (see opens.go), writing what each returned to -opens-out")
	opensOut := flag.String("opens-out", "", "file for the results of -opens")
	flag.Parse()

	if *opens != "" {
		if err := doOpens(*opens, *opensOut); err != nil {
			fmt.Fprintln(os.Stderr, "workload:", err)
			os.Exit(1)
		}
	}

	runtime.LockOSThread()
	if *user > 0 {
		burnUser(*user)
	}
	if *sys > 0 {
		burnSys(*sys, *sysFile)
	}
	if *write > 0 {
		if err := writeSync(*file, *write); err != nil {
			fmt.Fprintln(os.Stderr, "workload:", err)
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	switch *then {
	case "sleep":
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
	case "spin":
		burnUser(time.Duration(1<<62 - 1))
	case "spin-later":
		time.Sleep(time.Second)
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread() // a new thread: this one stays locked to main
			fmt.Println("spinning on thread", unix.Gettid())
			burnUser(time.Duration(1<<62 - 1))
			close(done)
		}()
		<-done
	case "sysread":
		burnSys(time.Duration(1<<62-1), *sysFile)
	case "read":
		readForever(strings.Split(*readFiles, ","))
	}
}

// readForever reads each file to its end, as cat does, in turn, until the
// process is killed.
func readForever(paths []string) {
	buf := make([]byte, 64<<10)
	for {
		for _, p := range paths {
			fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, "workload:", err)
				os.Exit(1)
			}
			for {
				n, err := unix.Read(fd, buf)
				if n <= 0 || err != nil {
					break
				}
			}
			unix.Close(fd)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func threadCPU() (user, sys time.Duration) {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// sink keeps the spinning's result alive so it is not optimised away.
var sink int

//go:noinline
func spinUserFunction(n int) int {
	x := 0
	for i := range n {
		x += i * i
	}
	return x
}

func burnUser(d time.Duration) {
	u0, _ := threadCPU()
	for {
		sink += spinUserFunction(1 << 16)
		if u, _ := threadCPU(); u-u0 >= d {
			runtime.KeepAlive(sink)
			return
		}
	}
}

func burnSys(d time.Duration, path string) {
	_, s0 := threadCPU()
	buf := make([]byte, 1<<20)
	for {
		fd, err := unix.Open(path, unix.O_RDONLY, 0)
		if err == nil {
			for {
				n, err := unix.Read(fd, buf)
				if n <= 0 || err != nil {
					break
				}
			}
			unix.Close(fd)
		}
		if _, s := threadCPU(); s-s0 >= d {
			return
		}
	}
}

func writeSync(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(make([]byte, n)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
