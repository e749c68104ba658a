package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mihari-dev/mihari/internal/top"
)

func testFrame() *top.Frame {
	f := &top.Frame{
		Time:     time.Date(2026, 11, 25, 16, 39, 32, 0, time.UTC),
		Interval: 2 * time.Second,
		Host:     top.Host{NCPU: 2, Processes: 6},
	}
	for i, comm := range []string{"burn", "postgres", "kubelet", "mihari", "sshd", "late"} {
		f.Rows = append(f.Rows, top.Row{
			PID: 100 + i, User: "root", Comm: comm, State: 'S', Container: "-",
			CPU: float64(90 - 10*i), RSS: uint64(i) << 20,
		})
	}
	return f
}

// screen feeds msgs to a 100x12 model holding testFrame and returns its
// view.
func screen(t *testing.T, m *Model, msgs ...tea.Msg) string {
	t.Helper()
	for _, msg := range msgs {
		m.Update(msg)
	}
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != m.height {
		t.Errorf("%d lines, want %d:\n%s", len(lines), m.height, v)
	}
	for _, l := range lines {
		if strings.Contains(l, "\x1b") {
			continue // the reverse-video column titles
		}
		if len(l) > m.width {
			t.Errorf("line wider than %d: %q", m.width, l)
		}
	}
	return v
}

// rows returns the PIDs' commands shown, in order.
func rows(v string) []string {
	var out []string
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if !strings.Contains(l, "COMMAND") {
			continue
		}
		for _, r := range lines[i+1 : len(lines)-1] {
			if f := strings.Fields(r); len(f) > 0 {
				out = append(out, f[len(f)-1])
			}
		}
	}
	return out
}

func keys(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func newModel(o Options) *Model {
	m := New(context.Background(), nil, o)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 12})
	return m
}

func TestTopModelKeys(t *testing.T) {
	m := newModel(Options{Delay: 2 * time.Second})
	if v := screen(t, m); !strings.HasPrefix(v, "mihari top: sampling for 2s") {
		t.Errorf("before the first frame:\n%s", v)
	}
	v := screen(t, m, frameMsg{frame: testFrame(), started: time.Now()})
	// 12 lines: 4 of header, a blank, the titles, 5 rows, the footer.
	if want := []string{"burn", "postgres", "kubelet", "mihari", "sshd"}; strings.Join(rows(v), " ") != strings.Join(want, " ") {
		t.Errorf("by CPU: %v, want %v\n%s", rows(v), want, v)
	}
	if !strings.Contains(v, "sort: cpu") || !strings.HasSuffix(v, Footer+"  [1-5 of 6]") {
		t.Errorf("header or footer:\n%s", v)
	}

	v = screen(t, m, keys("m"))
	if !strings.Contains(v, "sort: mem") || rows(v)[0] != "late" {
		t.Errorf("after m:\n%s", v)
	}

	v = screen(t, m, keys("/"), keys("p"), keys("o"))
	if !strings.HasSuffix(v, "filter by command: po_   (Enter applies, Esc clears)") || len(rows(v)) != 5 {
		t.Errorf("while typing:\n%s", v)
	}
	v = screen(t, m, tea.KeyMsg{Type: tea.KeyBackspace}, keys("o"), keys("s"), tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(v, "filter: pos") || strings.Join(rows(v), " ") != "postgres" {
		t.Errorf("after /pos Enter:\n%s", v)
	}
	v = screen(t, m, tea.KeyMsg{Type: tea.KeyEsc})
	if strings.Contains(v, "filter:") || len(rows(v)) != 5 {
		t.Errorf("after Esc:\n%s", v)
	}

	// Keys typed faster than read come as one message.
	v = screen(t, m, keys("c/mih"), tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(v, "sort: cpu  filter: mih") || strings.Join(rows(v), " ") != "mihari" {
		t.Errorf("after c/mih Enter:\n%s", v)
	}
	screen(t, m, tea.KeyMsg{Type: tea.KeyEsc})

	if cmd := m.key(keys("q")); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit")
	}
	m.typing = true
	if cmd := m.key(tea.KeyMsg{Type: tea.KeyCtrlC}); cmd == nil || cmd() != tea.Quit() {
		t.Error("Ctrl-C does not quit while typing")
	}
}

func TestTopModelScrolls(t *testing.T) {
	m := newModel(Options{})
	screen(t, m, frameMsg{frame: testFrame()})
	for _, tc := range []struct {
		key   tea.KeyType
		first string
	}{
		{tea.KeyDown, "postgres"},
		{tea.KeyDown, "postgres"}, // 6 rows, 5 shown
		{tea.KeyUp, "burn"},
		{tea.KeyUp, "burn"},
		{tea.KeyEnd, "postgres"},
		{tea.KeyPgUp, "burn"},
		{tea.KeyPgDown, "postgres"},
		{tea.KeyHome, "burn"},
	} {
		if v := screen(t, m, tea.KeyMsg{Type: tc.key}); rows(v)[0] != tc.first {
			t.Errorf("after %v: first row %q, want %q\n%s", tc.key, rows(v)[0], tc.first, v)
		}
	}
	// A taller screen shows everything from the top.
	if v := screen(t, m, tea.WindowSizeMsg{Width: 100, Height: 40}); rows(v)[0] != "burn" || len(rows(v)) != 6 {
		t.Errorf("after resize:\n%s", v)
	}
}

func TestTopModelFrames(t *testing.T) {
	m := newModel(Options{Frames: 2})
	if _, cmd := m.Update(frameMsg{frame: nil}); cmd == nil {
		t.Fatal("no tick after the first sample")
	}
	if _, cmd := m.Update(frameMsg{frame: testFrame()}); cmd == nil || cmd() == tea.Quit() {
		t.Fatal("no tick after the first frame")
	}
	if _, cmd := m.Update(frameMsg{frame: testFrame()}); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("did not quit after 2 frames")
	}
}

// A first sample that fails ends the program with its error; a later one
// is shown and sampling goes on.
func TestTopModelErrors(t *testing.T) {
	m := newModel(Options{})
	if _, cmd := m.Update(frameMsg{err: context.DeadlineExceeded}); cmd == nil || cmd() != tea.Quit() || m.fatal == nil {
		t.Fatal("a failed first sample does not quit")
	}
	m = newModel(Options{})
	m.Update(frameMsg{frame: testFrame()})
	_, cmd := m.Update(frameMsg{err: context.DeadlineExceeded})
	if cmd == nil || m.fatal != nil {
		t.Fatal("a failed later sample stops sampling")
	}
	if v := m.View(); !strings.HasSuffix(v, "error: context deadline exceeded") {
		t.Errorf("error not shown:\n%s", v)
	}
}
