"""A bar chart of faxes per day, laid out in Python and drawn as inline SVG by the template:
per day, received and sent side by side, each delivered below and failed on top. The
template adds a table with the same numbers for screen readers and printing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format

from drenfax_portal.dashboard.selectors import DayCounts

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 40  # room for the axis labels


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # a tooltip (<title>) naming day, series and count


@dataclass(frozen=True)
class Label:
    at: float  # y of a gridline, x of a day
    label: str


@dataclass(frozen=True)
class BarChart:
    bars: list[Rect]
    y_ticks: list[Label]
    x_labels: list[Label]
    top: int  # the value of the highest gridline
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    x_axis_label_y: int = HEIGHT - 4
    y_axis_label_x: int = 12
    y_axis_label_y: float = (TOP + HEIGHT - BOTTOM) / 2


def nice_step(value: float) -> int:
    """A round gridline step (1, 2, 5, 10, 20, 50...) giving about four gridlines."""
    if value <= 4:
        return 1
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(int(f * magnitude) for f in (1, 2, 5, 10) if f * magnitude >= raw)


def _short_day(day) -> str:
    return date_format(day, "M j")


def daily_bar_chart(days: Sequence[DayCounts]) -> BarChart:
    """Lay out the bars, gridlines and day labels for these days (oldest first)."""
    highest = max((max(d.in_ok + d.in_failed, d.out_ok + d.out_failed) for d in days), default=0)
    step = nice_step(highest)
    top = max(step * math.ceil(highest / step), step)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.38
    gap = slot * 0.06

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    bars: list[Rect] = []
    for i, d in enumerate(days):
        label = _short_day(d.day)
        left = LEFT + i * slot + (slot - 2 * bar_w - gap) / 2
        for x, side, ok, failed in (
            (left, "in", d.in_ok, d.in_failed),
            (left + bar_w + gap, "out", d.out_ok, d.out_failed),
        ):
            noun = "received" if side == "in" else "sent"
            base = 0
            for value, kind, text in (
                (ok, "ok", f"{label}: {ok} {noun} and delivered"),
                (failed, "failed", f"{label}: {failed} {noun}, failed"),
            ):
                if value:
                    bars.append(
                        Rect(
                            x=round(x, 2),
                            y=round(y_of(base + value), 2),
                            width=round(bar_w, 2),
                            height=round(y_of(base) - y_of(base + value), 2),
                            css=f"bar-{side}-{kind}",
                            label=text,
                        )
                    )
                base += value
    ticks = [Label(at=round(y_of(v), 2), label=str(v)) for v in range(0, top + 1, step)]
    # A label every seventh day counting back from today, so today is always labelled.
    x_labels = [
        Label(at=round(LEFT + i * slot + slot / 2, 2), label=_short_day(d.day))
        for i, d in enumerate(days)
        if (len(days) - 1 - i) % 7 == 0
    ]
    return BarChart(bars=bars, y_ticks=ticks, x_labels=x_labels, top=top)
