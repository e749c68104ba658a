// Command dist turns the binaries that `make dist` built into .deb
// packages, with nfpm used as a library (so nothing is installed to build
// them), and checks the binaries on the way:
//
//	go run ./scripts/dist -version "$(VERSION)" -dir dist amd64 arm64
//
// For each architecture it reads DIR/mihari-linux-ARCH and checks that it
// is an ELF for that machine, statically linked, and that it carries the
// BPF object of internal/trace (bpf2go's little-endian object, embedded
// for every little-endian architecture); then it writes
// DIR/mihari_DEBVERSION_ARCH.deb. Last, DIR/SHA256SUMS lists what it made.
// Run it from the module's root: the packaged files are named from there.
//
// The package holds /usr/bin/mihari, the unit at
// /lib/systemd/system/mihari.service, /etc/default/mihari (a conffile),
// the user's sysusers.d file, and README, install notes and copyright
// under /usr/share/doc/mihari; its maintainer scripts are deploy/deb/.
package main

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// bpfObject is the BPF object that internal/trace embeds (bpf2go's
// output, committed).
const bpfObject = "internal/trace/trace_bpfel.o"

// machines are the architectures dist packages, by GOARCH.
var machines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

func main() {
	version := flag.String("version", "", "the version the binaries were stamped with (the Makefile's VERSION, from git describe)")
	dir := flag.String("dir", "dist", "where the binaries are and the packages go")
	maintainer := flag.String("maintainer", "mihari developers <https://github.com/mihari-dev/mihari>", "the packages' Maintainer field")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./scripts/dist -version VERSION [-dir DIR] GOARCH...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *version == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*version, *dir, *maintainer, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func run(version, dir, maintainer string, arches []string) error {
	debVer, err := debVersion(version)
	if err != nil {
		return err
	}
	obj, err := os.ReadFile(bpfObject)
	if err != nil {
		return fmt.Errorf("reading the BPF object to look for (run from the module's root): %w", err)
	}
	var sums bytes.Buffer
	for _, arch := range arches {
		bin := filepath.Join(dir, "mihari-linux-"+arch)
		if err := checkBinary(bin, arch, obj); err != nil {
			return err
		}
		out := filepath.Join(dir, fmt.Sprintf("mihari_%s_%s.deb", debVer, arch))
		if err := buildDeb(bin, arch, debVer, maintainer, out); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		fmt.Printf("dist: %s (%s: %s, BPF object embedded)\n", out, filepath.Base(bin), arch)
		for _, f := range []string{bin, out} {
			sum, err := sha256File(f)
			if err != nil {
				return err
			}
			fmt.Fprintf(&sums, "%s  %s\n", sum, filepath.Base(f))
		}
	}
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums.Bytes(), 0o644)
}

var (
	// git describe --tags --always --dirty: TAG, TAG-N-gHASH, or HASH
	// where no tag is reachable, each maybe with -dirty.
	describeRE = regexp.MustCompile(`^(.*?)(?:-(\d+)-g([0-9a-f]{4,}))?(-dirty)?$`)
	tagRE      = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*([-.~+][0-9A-Za-z.~+-]*)?$`)
	dottedRE   = regexp.MustCompile(`^[0-9]+\.[0-9]+`) // a tag without its v
	hashRE     = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
	debRE      = regexp.MustCompile(`^[0-9][0-9A-Za-z.+~]*$`)
	unsafeRE   = regexp.MustCompile(`[^0-9A-Za-z.+~]+`)
)

// debVersion turns what git describe said into a Debian version that sorts
// as the builds do: v1.2.0 is 1.2.0; a pre-release tag v1.2.0-rc.1 is
// 1.2.0~rc.1 (before 1.2.0); 4 commits after a tag, 1.2.0+git4.HASH
// (after it); a tree without any tag, 0.0.0~gitHASH (before any release);
// a dirty tree adds +dirty (or .dirty after a +).
func debVersion(v string) (string, error) {
	m := describeRE.FindStringSubmatch(v)
	base, commits, hash, dirty := m[1], m[2], m[3], m[4] != ""
	var out string
	switch {
	case strings.HasPrefix(base, "v") && tagRE.MatchString(base) || dottedRE.MatchString(base):
		out = strings.TrimPrefix(base, "v")
		if i := strings.IndexByte(out, '-'); i >= 0 {
			out = out[:i] + "~" + strings.ReplaceAll(out[i+1:], "-", ".")
		}
	case hashRE.MatchString(base):
		out = "0.0.0~git" + base
	default:
		name := strings.Trim(unsafeRE.ReplaceAllString(base, "."), ".")
		if name == "" {
			return "", fmt.Errorf("version %q: cannot make a Debian version of it", v)
		}
		out = "0.0.0~" + name
	}
	if commits != "" {
		out += "+git" + commits + "." + hash
	}
	if dirty {
		if strings.Contains(out, "+") {
			out += ".dirty"
		} else {
			out += "+dirty"
		}
	}
	if !debRE.MatchString(out) {
		return "", fmt.Errorf("version %q: cannot make a Debian version of it (got %q)", v, out)
	}
	return out, nil
}

// checkBinary checks that bin is what the package must hold: an ELF for
// arch's machine, statically linked (it runs on any distribution), with
// the BPF object embedded (trace files and investigations work).
func checkBinary(bin, arch string, obj []byte) error {
	want, ok := machines[arch]
	if !ok {
		return fmt.Errorf("architecture %q: dist packages amd64 and arm64", arch)
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%s: %w (make dist builds it)", bin, err)
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("%s: an ELF for %v, want %v", bin, f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: dynamically linked (it has an interpreter): build it with CGO_ENABLED=0", bin)
		}
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, obj) {
		return fmt.Errorf("%s: the BPF object %s is not embedded: tracing would not work (check the build tags of internal/trace/trace_bpfel.go)", bin, bpfObject)
	}
	return nil
}

// buildDeb writes the package of one architecture.
func buildDeb(bin, arch, version, maintainer, out string) error {
	tmp, err := os.MkdirTemp("", "mihari-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	copyright := filepath.Join(tmp, "copyright")
	if err := writeCopyright(copyright, bin); err != nil {
		return err
	}

	file := func(src, dst string, mode os.FileMode) *files.Content {
		return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
	}
	conffile := file("deploy/systemd/mihari.default", "/etc/default/mihari", 0o644)
	conffile.Type = files.TypeConfig
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          "mihari",
		Arch:          arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none", // debVersion made it already
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    maintainer,
		Homepage:      "https://github.com/mihari-dev/mihari",
		Description: "Linux host monitoring agent that explains what it notices\n" +
			"mihari is one binary: node_exporter-compatible host, process and cgroup\n" +
			"metrics in an embedded Prometheus TSDB, PromQL and Prometheus's HTTP API,\n" +
			"alert rules, and eBPF tracing and CPU profiling that follow a CPU alert\n" +
			"down to the process, the kernel functions and the file behind it.\n" +
			"This package runs `mihari serve` as the systemd service mihari.service.",
		Overridables: nfpm.Overridables{
			// deb-systemd-helper and deb-systemd-invoke, for the scripts.
			Depends: []string{"init-system-helpers"},
			Contents: files.Contents{
				file(bin, "/usr/bin/mihari", 0o755),
				file("deploy/systemd/mihari.service", "/lib/systemd/system/mihari.service", 0o644),
				conffile,
				file("deploy/systemd/mihari.sysusers", "/usr/lib/sysusers.d/mihari.conf", 0o644),
				file(copyright, "/usr/share/doc/mihari/copyright", 0o644),
				file("README.md", "/usr/share/doc/mihari/README.md", 0o644),
				file("docs/install.md", "/usr/share/doc/mihari/install.md", 0o644),
			},
			Scripts: nfpm.Scripts{
				PostInstall: "deploy/deb/postinst",
				PreRemove:   "deploy/deb/prerm",
				PostRemove:  "deploy/deb/postrm",
			},
		},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(out)
		return err
	}
	return f.Close()
}

// writeCopyright is deploy/deb/copyright followed by the Go modules linked
// into bin, as its build information lists them.
func writeCopyright(path, bin string) error {
	head, err := os.ReadFile("deploy/deb/copyright")
	if err != nil {
		return err
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("%s: reading its build information: %w", bin, err)
	}
	if len(bi.Deps) == 0 {
		return errors.New(bin + ": no modules in its build information")
	}
	var b bytes.Buffer
	b.Write(head)
	b.WriteString("\nFiles: usr/bin/mihari\nCopyright: the authors of each module below\nLicense: each module's own, as its source states\nComment: the Go modules linked into the program, by path and version:\n")
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		fmt.Fprintf(&b, " %s %s\n", d.Path, d.Version)
	}
	fmt.Fprintf(&b, " and the Go standard library, %s (BSD-3-Clause)\n", bi.GoVersion)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func sha256File(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
