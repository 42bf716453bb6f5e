"""The PNG charts of the page (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: the study runs headless

import matplotlib.pyplot as plt

COLOURS = {"rest": "#4c72b0", "grpc": "#dd8452"}


def grouped_bars(
    path: Path,
    title: str,
    ylabel: str,
    labels: list[str],
    series: dict[str, list[tuple[float, float, float]]],
    log: bool = False,
) -> None:
    """One group per label, one bar per series: (median, low, high) draws the min-max as an error bar."""
    figure, axes = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series.items()):
        positions = [x + (index - (len(series) - 1) / 2) * width for x in range(len(labels))]
        medians = [value[0] for value in values]
        below = [max(0.0, value[0] - value[1]) for value in values]
        above = [max(0.0, value[2] - value[0]) for value in values]
        errors = [below, above]
        axes.bar(positions, medians, width, yerr=errors, capsize=3, label=name, color=COLOURS.get(name))
    axes.set_xticks(range(len(labels)), labels)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    if log:
        axes.set_yscale("log")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
