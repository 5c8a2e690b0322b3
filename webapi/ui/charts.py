"""Horizontal bar charts as inline SVG, drawn on the server: no chart library, no CDN, and
readable by screen readers (each chart also comes as a table)."""

from __future__ import annotations

from dataclasses import dataclass

ROW_HEIGHT = 30
BAR_HEIGHT = 18
# (label, bar, value) widths in px: charts are drawn at their natural size and only shrink.
SIZES = {"wide": (270, 400, 170), "narrow": (190, 220, 150)}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    width: float
    y: float
    text: str  # the value as shown
    marker_x: float | None = None  # e.g. the p90 next to a median
    marker_text: str | None = None
    tone: str = "normal"  # normal | warn | bad


@dataclass(frozen=True)
class Unit:
    one: str  # 1 casus
    many: str  # 0, 2 or 1,5 casussen

    def of(self, text: str) -> str:
        """The value as shown, with the unit that fits it."""
        return f"{text} {self.one if text == '1' else self.many}"


DAYS = Unit("dag", "dagen")
CASES = Unit("casus", "casussen")


@dataclass(frozen=True)
class BarChart:
    title: str
    unit: Unit
    bars: list[Bar]
    height: float
    width: float
    label_width: float
    bar_height: float = BAR_HEIGHT
    marker_label: str | None = None
    label_chars: int = 30

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(title: str, rows: list[tuple[str, float | None, float | None]], unit: Unit,
              marker_label: str | None = None, warn: float | None = None, bad: float | None = None,
              fmt=lambda v: f"{v:.0f}", size: str = "narrow") -> BarChart:
    """rows: (label, value, marker value or None); rows without a value are left out."""
    label_width, bar_width, value_width = SIZES[size]
    rows = [(label, value, marker) for label, value, marker in rows if value is not None]
    top = max([v for _, v, _ in rows] + [m for _, _, m in rows if m is not None] + [0]) or 1
    bars = []
    for index, (label, value, marker) in enumerate(rows):
        tone = "bad" if bad is not None and value >= bad else "warn" if warn is not None and value >= warn else "normal"
        bars.append(Bar(
            label=label, value=value, width=max(2.0, bar_width * value / top), y=index * ROW_HEIGHT + 4,
            text=unit.of(fmt(value)) + (f" (p90 {fmt(marker)})" if marker is not None and marker_label else ""),
            tone=tone,
            marker_x=label_width + bar_width * marker / top if marker is not None else None,
            marker_text=unit.of(fmt(marker)) if marker is not None else None,
        ))
    return BarChart(title=title, unit=unit, bars=bars, height=len(bars) * ROW_HEIGHT + 8,
                    width=label_width + bar_width + value_width, label_width=label_width, marker_label=marker_label,
                    label_chars=int(label_width / 7.4))
