package top

import (
	"slices"
	"testing"
)

func pids(rows []Row) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.PID)
	}
	return out
}

func TestTopArrangeSorts(t *testing.T) {
	rows := compute().Rows
	for key, want := range map[SortKey][]int{
		// 200 150%, 100 75%, 300 15%, 401 1%, 400 0.6%, 500 0%
		SortCPU: {200, 100, 300, 401, 400, 500},
		// 200 150%, 100 25%, 300 5%, then ties by PID
		SortSys: {200, 100, 300, 400, 401, 500},
		// 100 100M, 200 80M, 400 30M, 401 20M, 300 4K, 500 0
		SortMem: {100, 200, 400, 401, 300, 500},
		// 100 2M+4K/s, 300 4K/s, 400 and 401 none, 200 and 500 unknown
		SortIO:  {100, 300, 400, 401, 200, 500},
		SortPID: {100, 200, 300, 400, 401, 500},
	} {
		if have := pids(Arrange(rows, key, "")); !slices.Equal(have, want) {
			t.Errorf("sort %v: %v, want %v", key, have, want)
		}
	}
	if !slices.Equal(pids(rows), []int{100, 200, 300, 400, 401, 500}) {
		t.Errorf("Arrange changed its input: %v", pids(rows))
	}
}

func TestTopArrangeFilters(t *testing.T) {
	rows := compute().Rows
	for filter, want := range map[string][]int{
		"":        {200, 100, 300, 401, 400, 500},
		"mihari":  {401, 400},
		"MiHa":    {401, 400},
		"e":       {200, 100, 300, 500}, // kubelet, postgres, new, late
		"nothing": nil,
	} {
		if have := pids(Arrange(rows, SortCPU, filter)); !slices.Equal(have, want) {
			t.Errorf("filter %q: %v, want %v", filter, have, want)
		}
	}
}

func TestTopParseSortKey(t *testing.T) {
	for _, k := range []SortKey{SortCPU, SortSys, SortMem, SortIO, SortPID} {
		if have, err := ParseSortKey(k.String()); err != nil || have != k {
			t.Errorf("ParseSortKey(%q) = %v, %v", k.String(), have, err)
		}
	}
	if _, err := ParseSortKey("rss"); err == nil || err.Error() != `"rss": want cpu, sys, mem, io, pid` {
		t.Errorf("ParseSortKey(rss): %v", err)
	}
}
