package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// a11yScript lists what a page gets wrong for accessibility:
//   - a form control (input, select, textarea; not hidden) with no label:
//     no <label for>, no enclosing <label>, no aria-label(ledby);
//   - text whose contrast with what is behind it is under 4.5:1 (WCAG AA
//     for normal text), for body text, links, labels, buttons, table cells,
//     badges and the floor plan's table labels. Colours are the computed
//     ones; the background is the first opaque one up the tree (for SVG
//     text, the fill of the table's rectangle).
const a11yScript = `(() => {
  const out = [];
  const seen = new Set();
  const note = (s) => { if (!seen.has(s)) { seen.add(s); out.push(s); } };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") ||
      el.closest("label") ||
      (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'));
    if (!labelled) note("no label: " + name(el) + (el.name ? " name=" + el.name : ""));
  }
  const rgb = (s) => {
    const m = (s.match(/[\d.]+/g) || []).map(Number);
    return m.length >= 3 ? [m[0], m[1], m[2], m.length > 3 ? m[3] : 1] : null;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) return c;
    }
    return [255, 255, 255, 1];
  };
  const check = (el, fg, bg) => {
    if (!fg || !bg) return;
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) note("contrast " + ratio.toFixed(2) + ":1 for " + name(el) +
      " (" + getComputedStyle(el).color + " on rgb(" + bg.slice(0, 3).join(", ") + "))");
  };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("body, p, a, label, button, th, td, li, dt, dd, h1, h2, h3, .badge, .muted, .small, .error, figcaption, span")) {
    if (!shown(el) || !el.textContent.trim()) continue;
    check(el, rgb(getComputedStyle(el).color), behind(el));
  }
  for (const el of document.querySelectorAll("svg g.table text")) {
    const rect = el.parentElement.querySelector("rect");
    if (!rect) continue;
    const fg = rgb(getComputedStyle(el).fill), bg = rgb(getComputedStyle(rect).fill);
    if (fg && bg) {
      const a = lum(fg), b = lum(bg);
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) note("contrast " + ratio.toFixed(2) + ":1 for table label in " +
        el.parentElement.getAttribute("class"));
    }
  }
  return out;
})()`

// checkA11y fails the test for what a11yScript finds on the current page.
func checkA11y(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yScript))
	if err != nil {
		t.Fatalf("accessibility check of %s: %v", page, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", page, p)
	}
}

// checkFits fails the test if the current page scrolls sideways.
func checkFits(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](
		`[document.scrollingElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatalf("measure %s: %v", page, err)
	}
	if len(w) != 2 {
		t.Fatalf("measure %s: got %v", page, w)
	}
	if w[0] > w[1] {
		t.Errorf("%s scrolls sideways: content %v px wide in a %v px window", page, w[0], w[1])
	}
}
