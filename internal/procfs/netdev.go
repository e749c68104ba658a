package procfs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// NetDevLine is one interface's line of /proc/net/dev: its traffic counters
// since it was created.
type NetDevLine struct {
	// Name is the interface's name, e.g. "eth0".
	Name string
	// RxBytes is the bytes received.
	RxBytes uint64
	// RxPackets is the packets received.
	RxPackets uint64
	// RxErrors is the receive errors the driver detected.
	RxErrors uint64
	// RxDropped is the received packets dropped, e.g. for lack of buffers.
	RxDropped uint64
	// RxFIFO is the receive FIFO overruns.
	RxFIFO uint64
	// RxFrame is the frame alignment errors received.
	RxFrame uint64
	// RxCompressed is the compressed packets received.
	RxCompressed uint64
	// RxMulticast is the multicast packets received.
	RxMulticast uint64
	// TxBytes is the bytes sent.
	TxBytes uint64
	// TxPackets is the packets sent.
	TxPackets uint64
	// TxErrors is the transmit errors.
	TxErrors uint64
	// TxDropped is the packets dropped on the way out.
	TxDropped uint64
	// TxFIFO is the transmit FIFO underruns.
	TxFIFO uint64
	// TxCollisions is the collisions detected while sending.
	TxCollisions uint64
	// TxCarrier is the carrier losses while sending.
	TxCarrier uint64
	// TxCompressed is the compressed packets sent.
	TxCompressed uint64
}

const (
	// netDevCounters is the counters of an interface's line; counters a
	// later kernel might append are ignored.
	netDevCounters = 16
	// minNetDevLine is the length of the shortest valid line, "a:0" and
	// 15 more one-digit counters.
	minNetDevLine = len("a:0") + 2*(netDevCounters-1)
)

// ParseNetDev parses /proc/net/dev. It is lenient: blank lines and the two
// header lines (recognised by their '|', not by their position, so that a
// file without them loses no interface) are skipped silently, a malformed
// line is skipped and reported in the error, and the good lines are
// returned in file order whatever the error.
//
// The names are substrings of one copy of b, so keeping one keeps the
// whole copy alive.
func ParseNetDev(b []byte) ([]NetDevLine, error) {
	s := string(b)
	devs := make([]NetDevLine, 0, kerneltext.MaxRecords(s, minNetDevLine))
	var bad kerneltext.BadLines
	for n := 1; len(s) > 0; n++ {
		var line string
		line, s = kerneltext.NextLine(s)
		if kerneltext.IsBlankLine(line) || strings.IndexByte(line, '|') >= 0 {
			continue
		}
		d, err := parseNetDevLine(line)
		if err != nil {
			bad.Add(n, line, err)
			continue
		}
		devs = append(devs, d)
	}
	return devs, bad.Err()
}

// parseNetDevLine parses "  eth0: 16 counters". Old kernels wrote
// "%6s:%8lu", the first counter straight after the colon, so a busy
// interface's line reads "eth0:123456789 ..."; the name is therefore what
// precedes the last ':' of the first field, and what follows it, if
// anything, is the first counter. Names cannot contain ':' (the kernel's
// dev_valid_name refuses it).
func parseNetDevLine(line string) (NetDevLine, error) {
	first, rest := kerneltext.NextField(line)
	i := strings.LastIndexByte(first, ':')
	if i < 0 {
		return NetDevLine{}, errors.New("no colon after the interface name")
	}
	name, glued := first[:i], first[i+1:]
	if name == "" {
		return NetDevLine{}, errors.New("no interface name")
	}
	var v [netDevCounters]uint64
	n := 0
	if glued != "" {
		var err error
		if v[0], err = kerneltext.ParseUint(glued, 64); err != nil {
			return NetDevLine{}, fmt.Errorf("counter 1: %w", err)
		}
		n++
	}
	for ; n < len(v); n++ {
		var f string
		var err error
		if v[n], f, rest, err = kerneltext.NextUint(rest); err != nil {
			return NetDevLine{}, fmt.Errorf("counter %d: %w", n+1, err)
		}
		if f == "" {
			break
		}
	}
	if n < netDevCounters {
		return NetDevLine{}, fmt.Errorf("want %d counters, have %d", netDevCounters, n)
	}
	return NetDevLine{
		Name:    name,
		RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
		RxFIFO: v[4], RxFrame: v[5], RxCompressed: v[6], RxMulticast: v[7],
		TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11],
		TxFIFO: v[12], TxCollisions: v[13], TxCarrier: v[14], TxCompressed: v[15],
	}, nil
}
