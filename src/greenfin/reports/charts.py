"""Small static SVG charts (bar, horizontal bar, line) for reports that become PDFs.

Pure string output, no JavaScript and no network: the same SVG is inlined in the web page and in
the PDF WeasyPrint renders. Styling is by SVG presentation attributes only (no ``style``
attributes), so the pages' Content-Security-Policy (``style-src 'self'``) does not block it.
Every text is XML-escaped. A ``None`` value is drawn as a gap marked "缺失" (missing), never as
zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
PALETTE: tuple[str, ...] = ("#38761d", "#6aa84f", "#b6d7a8", "#274e13", "#93c47d", "#45818e")
AXIS = "#666666"
GRID = "#dddddd"
MISSING_TEXT = "缺失"

Values = Sequence[float | None]


def _nice_step(span: float, ticks: int = 5) -> float:
    """A 1/2/5 × 10^k step giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def _scale(series: Sequence[tuple[str, Values]]) -> tuple[float, float, float]:
    values = [v for _, vs in series for v in vs if v is not None]
    low = min([0.0, *values])
    high = max([0.0, *values])
    if high == low:
        high = low + 1.0
    step = _nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _text(x: float, y: float, text: str, *, size: int = 10, anchor: str = "middle",
          fill: str = "#222222", extra: str = "") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-family={quoteattr(FONT)}{extra}>{escape(text)}</text>'
    )


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    label = quoteattr(title or "chart")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={label} class="report-chart">'
    )
    parts = [head, f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    if title:
        parts.append(_text(width / 2, 16, title, size=12))
    return "".join([*parts, *body, "</svg>"])


def _legend(series: Sequence[tuple[str, Values]], x: float, y: float) -> list[str]:
    if len(series) < 2:
        return []
    out = []
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(x + 14, y, name, size=10, anchor="start"))
        x += 24 + 11 * len(name)
    return out


def _value_grid(
    low: float,
    high: float,
    step: float,
    y_of: Callable[[float], float],
    left: float,
    right_edge: float,
    top: float,
    unit: str,
) -> list[str]:
    """Horizontal grid lines with their values on the left, and the unit above the axis."""
    out = []
    tick = low
    while tick <= high + step / 2:
        y = y_of(tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right_edge}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(_text(left - 6, y + 3, _fmt(tick), size=9, anchor="end", fill=AXIS))
        tick += step
    if unit:
        out.append(_text(4, top - 6, unit, size=9, anchor="start", fill=AXIS))
    return out


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Values]],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """Vertical grouped bars: one group per label, one bar per series."""
    low, high, step = _scale(series)
    left, right, top, bottom = 64, 16, 40 if len(series) > 1 else 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    y_of = lambda v: top + plot_h * (high - v) / (high - low)  # noqa: E731
    body: list[str] = _legend(series, left, 32)
    body += _value_grid(low, high, step, y_of, left, width - right, top, unit)
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = min(48.0, group_w * 0.8 / max(len(series), 1))
    for i, label in enumerate(labels):
        x0 = left + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, (_, values) in enumerate(series):
            value = values[i] if i < len(values) else None
            x = x0 + j * bar_w
            if value is None:
                body.append(
                    _text(x + bar_w / 2, y_of(low) - 4, MISSING_TEXT, size=9, fill="#aa0000")
                )
                continue
            y1, y0 = y_of(max(value, 0)), y_of(min(value, 0))
            colour = PALETTE[j % len(PALETTE)]
            body.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar_w - 2:.1f}" '
                        f'height="{max(y0 - y1, 0.5):.1f}" fill="{colour}"/>')  # fmt: skip
            body.append(_text(x + bar_w / 2, y1 - 3, _fmt(value), size=9))
        body.append(_text(left + (i + 0.5) * group_w, height - bottom + 16, label, size=10))
    body.append(f'<line x1="{left}" y1="{y_of(0):.1f}" x2="{width - right}" y2="{y_of(0):.1f}" '
                f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    return _frame(width, height, title, body)


def hbar_chart(
    labels: Sequence[str],
    values: Values,
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    bar_height: int = 22,
) -> str:
    """Horizontal bars, one per label (long category names read well on the left)."""
    left = min(40 + 12 * max((len(label) for label in labels), default=4), width // 2)
    right, top = 80, 28
    height = top + bar_height * max(len(labels), 1) + 12
    known = [v for v in values if v is not None]
    high = max([0.0, *known]) or 1.0
    plot_w = width - left - right
    body: list[str] = []
    for i, label in enumerate(labels):
        y = top + i * bar_height
        body.append(_text(left - 6, y + bar_height * 0.65, label, size=10, anchor="end"))
        value = values[i] if i < len(values) else None
        if value is None:
            body.append(_text(left + 4, y + bar_height * 0.65, MISSING_TEXT, size=9,
                              anchor="start", fill="#aa0000"))  # fmt: skip
            continue
        w = plot_w * max(value, 0) / high
        body.append(f'<rect x="{left}" y="{y + 3:.1f}" width="{max(w, 0.5):.1f}" '
                    f'height="{bar_height - 6}" fill="{PALETTE[0]}"/>')  # fmt: skip
        text = _fmt(value) + (f" {unit}" if unit else "")
        body.append(_text(left + w + 4, y + bar_height * 0.65, text, size=9, anchor="start"))
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - 12}" '
                f'stroke="{AXIS}" stroke-width="1"/>')  # fmt: skip
    return _frame(width, height, title, body)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Values]],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """Lines over ordered labels (dates); a ``None`` breaks the line."""
    low, high, step = _scale(series)
    left, right, top, bottom = 64, 24, 40 if len(series) > 1 else 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    x_of = lambda i: left + (plot_w * (i + 0.5) / n)  # noqa: E731
    y_of = lambda v: top + plot_h * (high - v) / (high - low)  # noqa: E731
    body: list[str] = _legend(series, left, 32)
    body += _value_grid(low, high, step, y_of, left, width - right, top, unit)
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            body.append(_text(x_of(i), height - bottom + 16, label, size=9))
    for j, (_, values) in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        run: list[str] = []
        for i, value in enumerate(values):
            if value is None:
                if len(run) > 1:
                    body.append(f'<polyline points="{" ".join(run)}" fill="none" '
                                f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
                run = []
                body.append(_text(x_of(i), y_of(low) - 4, MISSING_TEXT, size=9, fill="#aa0000"))
                continue
            x, y = x_of(i), y_of(value)
            run.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            body.append(_text(x, y - 6, _fmt(value), size=9))
        if len(run) > 1:
            body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"/>')  # fmt: skip
    return _frame(width, height, title, body)
