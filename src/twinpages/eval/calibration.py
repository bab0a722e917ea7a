"""Calibration: expected calibration error over bins of a probability, and the reliability table's rows."""

from __future__ import annotations

import numpy as np


def binned(p: np.ndarray, right: np.ndarray, edges: np.ndarray) -> tuple[float, list[tuple]]:
    """ECE over the bins ``[edges[k], edges[k + 1])`` (the last one closed), weighted by their share of the
    items, and for each non-empty bin ``(lo, hi, items, mean probability, share right)``."""
    rows, ece = [], 0.0
    last = len(edges) - 2
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        sel = (p >= lo) & ((p < hi) if k < last else (p <= hi))
        if not sel.any():
            continue
        conf, acc = float(p[sel].mean()), float(right[sel].mean())
        ece += sel.mean() * abs(conf - acc)
        rows.append((float(lo), float(hi), int(sel.sum()), conf, acc))
    return float(ece), rows
