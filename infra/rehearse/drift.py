"""Data drift, computed locally - a STAND-IN for Azure ML's model monitor.

Azure ML's data-drift signal (the estate's ``ModelMonitor``) compares production inputs with
the training data: normalized Wasserstein distance for numerical features and Jensen-Shannon
distance for categorical ones, each against a threshold (0.1 by default). This module applies
the same two metrics to the rows the rehearsal sent to the endpoint; the normalization
(Wasserstein distance divided by the reference's range, so sampling noise between two halves
of one sample stays well under the threshold) is this module's choice, not a copy of the
service's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import wasserstein_distance

DEFAULT_THRESHOLD = 0.1


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift."""

    feature: str
    metric: str
    value: float
    threshold: float

    @property
    def breached(self) -> bool:
        """True when the value exceeds the threshold."""
        return self.value > self.threshold


def normalized_wasserstein(reference: Sequence[float], production: Sequence[float]) -> float:
    """Wasserstein-1 distance divided by the reference's range (max - min)."""
    ref = np.asarray(reference, dtype=float)
    scale = float(ref.max() - ref.min()) or 1.0
    return float(wasserstein_distance(ref, np.asarray(production, dtype=float)) / scale)


def jensen_shannon(reference: Sequence[str], production: Sequence[str]) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between two categorical samples."""
    ref, prod = Counter(reference), Counter(production)
    keys = sorted(set(ref) | set(prod))
    p = np.asarray([ref[k] / len(reference) for k in keys])
    q = np.asarray([prod[k] / len(production) for k in keys])
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / b[mask])))

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def drift(
    reference: Mapping[str, Sequence[object]],
    production: Mapping[str, Sequence[object]],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[FeatureDrift]:
    """Drift per feature present in both samples (numbers: Wasserstein, others: Jensen-Shannon)."""
    results = []
    for feature in sorted(set(reference) & set(production)):
        ref, prod = reference[feature], production[feature]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in [*ref, *prod]):
            value = normalized_wasserstein([float(str(v)) for v in ref], [float(str(v)) for v in prod])
            metric = "normalized_wasserstein_distance"
        else:
            value = jensen_shannon([str(v) for v in ref], [str(v) for v in prod])
            metric = "jensen_shannon_distance"
        results.append(FeatureDrift(feature, metric, round(value, 4), threshold))
    return results
