package cgroupfs

import (
	"fmt"

	"github.com/mihari-dev/mihari/internal/kerneltext"
)

// parseDevice parses "major:minor", as blkio and io.stat name a device.
func parseDevice[T kerneltext.Text](f T) (major, minor uint32, err error) {
	i := kerneltext.IndexByte(f, ':')
	if i < 0 {
		return 0, 0, fmt.Errorf("device %s is not major:minor", kerneltext.Quote(f))
	}
	maj, err := kerneltext.ParseUint(f[:i], 32)
	if err != nil {
		return 0, 0, fmt.Errorf("major: %w", err)
	}
	mnr, err := kerneltext.ParseUint(f[i+1:], 32)
	if err != nil {
		return 0, 0, fmt.Errorf("minor: %w", err)
	}
	return uint32(maj), uint32(mnr), nil
}
