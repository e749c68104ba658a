package top

import (
	"context"
	"io"
	"time"
)

// Source gives frames: a nil Frame when it had nothing to compare with
// yet (its first sample).
type Source interface {
	Next(ctx context.Context) (*Frame, error)
}

// BatchOptions say what Batch prints.
type BatchOptions struct {
	View
	// Frames is how many frames to print; 0 for no end.
	Frames int
	// Delay is the time between samples.
	Delay time.Duration
	// Limit is the number of processes per frame; 0 for all.
	Limit int
	// JSON prints each frame as one line of JSON instead of text.
	JSON bool
}

// Batch prints o.Frames frames of src to w, one every o.Delay, the first
// one o.Delay after the first sample so that its rates are real. It
// stops without error when ctx is cancelled.
func Batch(ctx context.Context, src Source, w io.Writer, o BatchOptions) error {
	next := time.Now()
	for printed := 0; o.Frames == 0 || printed < o.Frames; {
		f, err := src.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if f != nil {
			if o.JSON {
				err = WriteJSON(w, f, o.View, o.Limit)
			} else {
				if printed > 0 {
					if _, err := io.WriteString(w, "\n"); err != nil {
						return err
					}
				}
				err = WriteText(w, f, o.View, o.Limit)
			}
			if err != nil {
				return err
			}
			printed++
			if o.Frames > 0 && printed == o.Frames {
				break
			}
		}
		// Keep the cadence whatever a sample took.
		next = next.Add(o.Delay)
		if d := time.Until(next); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		} else {
			next = time.Now()
		}
	}
	return nil
}
