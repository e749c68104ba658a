// Package tui is the terminal user interface of `mihari top`: a Bubble Tea
// model that shows the frames of a top.Source, with keys to sort, filter
// and scroll. What it shows is computed and laid out by package top.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mihari-dev/mihari/internal/top"
)

// Options say what the interface starts with.
type Options struct {
	// Delay is the time between samples.
	Delay time.Duration
	// Sort and Filter are the initial order and comm filter.
	Sort   top.SortKey
	Filter string
	// Frames is how many frames to show before quitting; 0 for no end.
	Frames int
}

// Footer lists the keys.
const Footer = "q quit  c cpu  s sys  m mem  i io  p pid  / filter  Up/Down PgUp/PgDn Home/End scroll"

// Run shows src's frames on the terminal out, reading keys from in (the
// controlling terminal when in is os.Stdin and not a terminal), until the
// user quits or ctx is cancelled.
func Run(ctx context.Context, src top.Source, in io.Reader, out io.Writer, o Options) error {
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out)}
	if in != os.Stdin {
		opts = append(opts, tea.WithInput(in))
	}
	final, err := tea.NewProgram(New(ctx, src, o), opts...).Run()
	switch {
	case errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil
	case err != nil:
		return err
	}
	return final.(*Model).fatal
}

// Model is the Bubble Tea model of `mihari top`.
type Model struct {
	ctx context.Context
	src top.Source
	o   Options

	frame  *top.Frame
	rows   []top.Row // frame's rows arranged
	frames int
	err    error // of the latest sample, shown until the next frame
	fatal  error // the first sample failed: nothing to show

	width, height int
	sort          top.SortKey
	filter        string
	typing        bool // the filter is being typed
	input         string
	offset        int // first row shown
}

// New returns the model; Init starts sampling.
func New(ctx context.Context, src top.Source, o Options) *Model {
	return &Model{ctx: ctx, src: src, o: o, sort: o.Sort, filter: o.Filter}
}

// frameMsg is the outcome of one sample that started at started.
type frameMsg struct {
	frame   *top.Frame
	err     error
	started time.Time
}

type tickMsg struct{}

// sample reads the host in the background.
func (m *Model) sample() tea.Cmd {
	ctx, src := m.ctx, m.src
	return func() tea.Msg {
		started := time.Now()
		f, err := src.Next(ctx)
		return frameMsg{frame: f, err: err, started: started}
	}
}

// Init takes the first sample.
func (m *Model) Init() tea.Cmd { return m.sample() }

// Update handles samples, ticks, keys and resizes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.clamp()
	case frameMsg:
		m.err = msg.err
		if msg.err != nil && m.frame == nil && m.frames == 0 && m.ctx.Err() == nil {
			m.fatal = msg.err
			return m, tea.Quit
		}
		if msg.frame != nil {
			m.frame = msg.frame
			m.frames++
			m.arrange()
			if m.o.Frames > 0 && m.frames >= m.o.Frames {
				return m, tea.Quit
			}
		}
		// Keep the cadence whatever the sample took.
		wait := max(m.o.Delay-time.Since(msg.started), 0)
		return m, tea.Tick(wait, func(time.Time) tea.Msg { return tickMsg{} })
	case tickMsg:
		return m, m.sample()
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// key handles one key press.
func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if m.typing {
		switch k.Type {
		case tea.KeyEnter:
			m.typing, m.filter = false, m.input
			m.arrange()
		case tea.KeyEsc:
			m.typing, m.filter, m.input = false, "", ""
			m.arrange()
		case tea.KeyBackspace:
			if r := []rune(m.input); len(r) > 0 {
				m.input = string(r[:len(r)-1])
			}
		case tea.KeyCtrlU:
			m.input = ""
		case tea.KeyRunes, tea.KeySpace:
			m.input += string(k.Runes)
		}
		return nil
	}
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 {
		// Keys typed faster than they are read come as one message: "/"
		// and the filter, say.
		var cmds []tea.Cmd
		for i, r := range k.Runes {
			if m.typing {
				m.input += string(k.Runes[i:])
				break
			}
			cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}))
		}
		return tea.Batch(cmds...)
	}
	page := max(m.pageSize(), 1)
	switch k.String() {
	case "q":
		return tea.Quit
	case "c":
		m.setSort(top.SortCPU)
	case "s":
		m.setSort(top.SortSys)
	case "m":
		m.setSort(top.SortMem)
	case "i":
		m.setSort(top.SortIO)
	case "p":
		m.setSort(top.SortPID)
	case "/":
		m.typing, m.input = true, ""
	case "esc":
		m.filter = ""
		m.arrange()
	case "up":
		m.offset--
	case "down":
		m.offset++
	case "pgup":
		m.offset -= page
	case "pgdown":
		m.offset += page
	case "home":
		m.offset = 0
	case "end":
		m.offset = len(m.rows)
	}
	m.clamp()
	return nil
}

func (m *Model) setSort(k top.SortKey) {
	m.sort, m.offset = k, 0
	m.arrange()
}

// arrange orders and filters the frame's rows for the current keys.
func (m *Model) arrange() {
	if m.frame != nil {
		m.rows = top.Arrange(m.frame.Rows, m.sort, m.filter)
	}
	m.clamp()
}

// headerLines is the number of lines above the rows: the summary, a blank
// line and the column titles.
func (m *Model) headerLines() int {
	if m.frame == nil {
		return 1
	}
	return len(top.Header(m.frame, top.View{})) + 2
}

// pageSize is the number of rows the screen has room for, under the
// header and above the footer.
func (m *Model) pageSize() int { return max(m.height-m.headerLines()-1, 0) }

func (m *Model) clamp() {
	m.offset = max(min(m.offset, len(m.rows)-m.pageSize()), 0)
}

// View draws the screen: exactly height lines, none wider than width.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var lines []string
	if m.frame == nil {
		msg := fmt.Sprintf("mihari top: sampling for %v ...", m.o.Delay)
		if m.err != nil {
			msg = "mihari top: " + m.err.Error()
		}
		lines = append(lines, msg)
	} else {
		v := top.View{Sort: m.sort, Filter: m.filter, Width: m.width}
		lines = append(lines, top.Header(m.frame, v)...)
		head, rows := top.Table(m.rows, m.width)
		lines = append(lines, "", reverse(head, m.width))
		end := min(m.offset+m.pageSize(), len(rows))
		lines = append(lines, rows[min(m.offset, end):end]...)
	}
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	lines = append(lines[:max(m.height-1, 0)], m.footer())
	return strings.Join(lines, "\n")
}

// footer is the last line: the keys, the filter being typed, or the
// latest error.
func (m *Model) footer() string {
	var s string
	switch {
	case m.typing:
		s = "filter by command: " + m.input + "_   (Enter applies, Esc clears)"
	case m.err != nil:
		s = "error: " + m.err.Error()
	default:
		s = Footer
		if n := len(m.rows); n > m.pageSize() && m.pageSize() > 0 {
			s += fmt.Sprintf("  [%d-%d of %d]", m.offset+1, min(m.offset+m.pageSize(), n), n)
		}
	}
	if r := []rune(s); len(r) > m.width {
		s = string(r[:m.width])
	}
	return s
}

// reverse shows s in reverse video, padded to width.
func reverse(s string, width int) string {
	if n := width - len(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return "\x1b[7m" + s + "\x1b[0m"
}
