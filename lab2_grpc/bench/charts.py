"""The PNG charts of the page (matplotlib, no display needed).

One colour per transport or format on every chart (REST and its JSON blue, gRPC and its protobuf orange),
large type so that a chart still reads when the page shows it small, and error bars only where a figure
comes from several runs and can vary: the min-max over the runs, around the median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the study runs headless

import matplotlib.pyplot as plt

COLOURS = {
    "REST": "#4c72b0",
    "gRPC": "#dd8452",
    "JSON": "#4c72b0",
    "protobuf": "#dd8452",
    "JSON+gzip": "#8fb3de",
    "Waitress": "#8c8c8c",
}
plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "legend.fontsize": 11})


@dataclass
class Series:
    """One bar per label: the median, and (low, high) for an error bar, or None when the value cannot vary."""

    name: str
    values: list[float]
    spans: list[tuple[float, float]] | None = None
    colour: str | None = None
    hatch: str | None = None


@dataclass
class Panel:
    title: str
    labels: list[str]
    series: list[Series]
    ylabel: str = ""
    log: bool = False


def _bars(axes: plt.Axes, panel: Panel) -> None:
    count = max(1, len(panel.series))
    width = 0.8 / count
    for index, series in enumerate(panel.series):
        positions = [x + (index - (count - 1) / 2) * width for x in range(len(panel.labels))]
        values = [0.0 if math.isnan(value) else value for value in series.values]
        errors = None
        if series.spans is not None and any(low != high for low, high in series.spans):
            pairs = list(zip(values, series.spans, strict=True))
            errors = [
                [0.0 if math.isnan(low) else max(0.0, value - low) for value, (low, _) in pairs],
                [0.0 if math.isnan(high) else max(0.0, high - value) for value, (_, high) in pairs],
            ]
        colour = series.colour or COLOURS.get(series.name.split(" ")[0])
        axes.bar(
            positions,
            values,
            width,
            yerr=errors,
            capsize=3 if errors else 0,
            label=series.name,
            color=colour,
            hatch=series.hatch,
            edgecolor="white" if series.hatch else None,
        )
    if any(panel.labels):
        axes.set_xticks(range(len(panel.labels)), panel.labels)
    else:
        axes.set_xticks([])
    axes.set_title(panel.title)
    axes.set_ylabel(panel.ylabel)
    if panel.log:
        axes.set_yscale("log")
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)


def draw(path: Path, title: str, panels: list[Panel], widths: list[float] | None = None) -> None:
    """Panels side by side, each with its own scale, one legend for all; saved as a PNG."""
    figure, axes_list = plt.subplots(
        1, len(panels), figsize=(11, 4.6), width_ratios=widths or [len(p.labels) for p in panels], squeeze=False
    )
    for axes, panel in zip(axes_list[0], panels, strict=True):
        _bars(axes, panel)
    handles, labels = axes_list[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=len(labels), frameon=False, bbox_to_anchor=(0.5, 0.94))
    figure.suptitle(title, y=0.99)
    figure.tight_layout(rect=(0, 0, 1, 0.9))
    figure.savefig(path, dpi=110)
    plt.close(figure)
