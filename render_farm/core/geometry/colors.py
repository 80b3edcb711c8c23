"""Colour helpers (plain Python)."""

from __future__ import annotations

import math


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """Approximate linear RGB (max component 1) of a black body at `kelvin`, 1000-40000 K.

    A curve fit to the CIE blackbody locus in sRGB (the usual photographic approximation),
    converted to linear values; good enough to tint a light warm or cold.
    """
    t = min(max(kelvin, 1000.0), 40000.0) / 100.0
    if t <= 66:
        r = 255.0
        g = 99.4708025861 * math.log(t) - 161.1195681661
        b = 0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307
    else:
        r = 329.698727446 * (t - 60) ** -0.1332047592
        g = 288.1221695283 * (t - 60) ** -0.0755148492
        b = 255.0
    srgb = [min(max(c, 0.0), 255.0) / 255.0 for c in (r, g, b)]
    lin = [c ** 2.2 for c in srgb]
    top = max(lin)
    return tuple(c / top for c in lin)
