"""Seeds derived from identities, never from list positions, so plans are stable under edits."""

from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts (master seed, action id, clip index, axis name...)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def rng_for(job_seed: int, axis: str) -> np.random.Generator:
    """An independent stream per randomization axis: adding an axis leaves the others unchanged."""
    return np.random.default_rng(derive_seed(job_seed, axis))


def unit_hash(*parts: object) -> float:
    """A uniform number in [0, 1) from parts."""
    return derive_seed(*parts) / float(1 << 63)
