package kerneltext

import (
	"math"
	"strconv"
	"testing"
)

func TestParseUintMatchesStrconv(t *testing.T) {
	for _, s := range []string{
		"", "0", "7", "007", "18446744073709551615", "18446744073709551616",
		"9999999999999999999", "99999999999999999999", "4294967295", "4294967296",
		"-1", "+1", "1_000", "0x10", " 1", "1 ", "١",
	} {
		for _, bits := range []int{31, 32, 64} {
			checkParseUint(t, s, bits)
		}
	}
}

func TestParseIntMatchesStrconv(t *testing.T) {
	for _, s := range []string{
		"", "0", "-0", "7", "-7", "+7", "--7", "-", "007", "-100",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "99999999999999999999", "1 ", "x",
	} {
		for _, bits := range []int{32, 64} {
			checkParseInt(t, s, bits)
		}
	}
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	for _, s := range []string{
		"", "0", "0.20", "24684084", "999999999999999", "9999999999999999",
		"18446744073709551615", "1e3", "NaN", "-Inf", "0x1p-2", "1_000", "-0",
	} {
		checkParseFloat(t, s)
	}
}

// checkParseUint checks that ParseUint of s, as a string and as bytes,
// returns what strconv.ParseUint does.
func checkParseUint(t *testing.T, s string, bits int) {
	t.Helper()
	want, wantErr := strconv.ParseUint(s, 10, bits)
	haveS, errS := ParseUint(s, bits)
	haveB, errB := ParseUint([]byte(s), bits)
	if haveS != want || errString(errS) != errString(wantErr) {
		t.Errorf("ParseUint(%q, %d) = %d, %v; strconv says %d, %v", s, bits, haveS, errS, want, wantErr)
	}
	if haveB != want || errString(errB) != errString(wantErr) {
		t.Errorf("ParseUint([]byte(%q), %d) = %d, %v; strconv says %d, %v", s, bits, haveB, errB, want, wantErr)
	}
}

// checkParseInt checks that ParseInt of s, as a string and as bytes,
// returns what strconv.ParseInt does.
func checkParseInt(t *testing.T, s string, bits int) {
	t.Helper()
	want, wantErr := strconv.ParseInt(s, 10, bits)
	haveS, errS := ParseInt(s, bits)
	haveB, errB := ParseInt([]byte(s), bits)
	if haveS != want || errString(errS) != errString(wantErr) {
		t.Errorf("ParseInt(%q, %d) = %d, %v; strconv says %d, %v", s, bits, haveS, errS, want, wantErr)
	}
	if haveB != want || errString(errB) != errString(wantErr) {
		t.Errorf("ParseInt([]byte(%q), %d) = %d, %v; strconv says %d, %v", s, bits, haveB, errB, want, wantErr)
	}
}

// checkParseFloat checks that ParseFloat of s, as a string and as bytes,
// returns what strconv.ParseFloat does, bit for bit.
func checkParseFloat(t *testing.T, s string) {
	t.Helper()
	want, wantErr := strconv.ParseFloat(s, 64)
	haveS, errS := ParseFloat(s)
	haveB, errB := ParseFloat([]byte(s))
	same := func(v float64, err error) bool {
		return math.Float64bits(v) == math.Float64bits(want) && errString(err) == errString(wantErr)
	}
	if !same(haveS, errS) {
		t.Errorf("ParseFloat(%q) = %v, %v; strconv says %v, %v", s, haveS, errS, want, wantErr)
	}
	if !same(haveB, errB) {
		t.Errorf("ParseFloat([]byte(%q)) = %v, %v; strconv says %v, %v", s, haveB, errB, want, wantErr)
	}
}

// FuzzNumbers checks the shortcuts of ParseUint, ParseInt and ParseFloat
// against strconv, which every parser's numbers go through.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"0", "18446744073709551615", "18446744073709551616", "999999999999999", "1e3", "-1", "-9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bits := range []int{31, 32, 64} {
			checkParseUint(t, s, bits)
			checkParseInt(t, s, bits)
		}
		checkParseFloat(t, s)
	})
}

func TestNextField(t *testing.T) {
	tests := []struct{ in, field, rest string }{
		{"", "", ""},
		{"   ", "", ""},
		{"a", "a", ""},
		{" \ta b", "a", " b"},
		{"ab\r", "ab", "\r"},
	}
	for _, tt := range tests {
		field, rest := NextField(tt.in)
		if field != tt.field || rest != tt.rest {
			t.Errorf("NextField(%q) = %q, %q; want %q, %q", tt.in, field, rest, tt.field, tt.rest)
		}
	}
}

func TestMaxRecords(t *testing.T) {
	tests := []struct {
		in     string
		minLen int
		want   int
	}{
		{"", 3, 1},
		{"a:0", 3, 1},
		{"a:0\nb:1", 3, 2},
		{"a:0\nb:1\n", 3, 3},
		// A file of newlines cannot hold a record a line.
		{"\n\n\n\n\n\n\n\n\n\n\n\n", 3, 4},
	}
	for _, tt := range tests {
		if have := MaxRecords(tt.in, tt.minLen); have != tt.want {
			t.Errorf("MaxRecords(%q, %d) = %d, want %d", tt.in, tt.minLen, have, tt.want)
		}
	}
}

// errString is err's message, or "" for nil, so that tables can say which
// error they want as a string.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
