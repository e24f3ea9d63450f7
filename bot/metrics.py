"""A small Prometheus registry: counters and gauges rendered in the text format.

One `Metrics` object per app, passed to whoever counts; no module-level registry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

LabelKey = tuple[tuple[str, str], ...]
GaugeReader = Callable[[], Awaitable[float]]


class Metrics:
    def __init__(self) -> None:
        self._counters: dict[str, dict[LabelKey, float]] = defaultdict(dict)
        self._help: dict[str, tuple[str, str]] = {}
        self._gauges: dict[str, GaugeReader] = {}

    def describe(self, name: str, help_text: str, kind: str = "counter") -> None:
        self._help[name] = (kind, help_text)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key: LabelKey = tuple(sorted(labels.items()))
        series = self._counters[name]
        series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        key: LabelKey = tuple(sorted(labels.items()))
        return self._counters.get(name, {}).get(key, 0.0)

    def gauge(self, name: str, help_text: str, reader: GaugeReader) -> None:
        """Register a gauge whose value is read when /metrics is scraped."""
        self._help[name] = ("gauge", help_text)
        self._gauges[name] = reader

    async def render(self) -> str:
        lines: list[str] = []
        for name in sorted(self._counters):
            kind, help_text = self._help.get(name, ("counter", name))
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            for key, amount in sorted(self._counters[name].items()):
                lines.append(f"{name}{_labels(key)} {_number(amount)}")
        for name in sorted(self._gauges):
            _, help_text = self._help[name]
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {_number(await self._gauges[name]())}")
        return "\n".join(lines) + "\n"


def _labels(key: LabelKey) -> str:
    if not key:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in key)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
