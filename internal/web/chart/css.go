package chart

import (
	"strconv"
	"strings"
)

// Okabe–Ito colours, which people with the common colour-vision
// deficiencies can tell apart; brighter ones on a dark background.
var (
	lightPalette = [...]string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#6b6b6b", "#a6761d"}
	darkPalette  = [...]string{"#5aa9e6", "#ff8c42", "#3ccf9e", "#e58fc4", "#f5c242", "#8fd3ff", "#b0b0b0", "#d4a35a"}
)

// CSS is the style sheet the charts need: the palette, light and dark,
// as --c0 … --c7, and how each part of a chart is painted.
func CSS() string {
	var b strings.Builder
	vars := func(p [8]string) {
		for i, c := range p {
			b.WriteString("--c" + strconv.Itoa(i) + ":" + c + ";")
		}
	}
	b.WriteString(":root{")
	vars(lightPalette)
	b.WriteString("}\n@media (prefers-color-scheme: dark){:root{")
	vars(darkPalette)
	b.WriteString("}}\n")
	b.WriteString(`svg.chart{font:12px system-ui,sans-serif;overflow:visible}
svg.chart text{fill:currentColor}
svg.chart .title{font-weight:600;font-size:13px}
svg.chart .ticks text{opacity:.75;font-variant-numeric:tabular-nums}
svg.chart .grid{stroke:currentColor;stroke-opacity:.13;fill:none}
svg.chart .axis{stroke:currentColor;stroke-opacity:.5;fill:none}
svg.chart .line{fill:none;stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
svg.chart .area{stroke:none}
`)
	for i := range paletteClass {
		c := "var(--c" + strconv.Itoa(i) + ")"
		s := paletteClass[i]
		b.WriteString("svg.chart .line." + s + "{stroke:" + c + "}svg.chart .area." + s + ",svg.chart rect." + s + "{fill:" + c + "}\n")
	}
	return b.String()
}
