"""Checkpoints that resume exactly, written atomically, read with weights_only=True."""

from __future__ import annotations

import pickle
import random
import re
from pathlib import Path

import torch

from synthact.atomic import replaced_on_success
from synthact.errors import SynthActError


class CheckpointError(SynthActError):
    pass


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, payload: dict) -> None:
    """Temporary name, fsync, rename: a crash never leaves a half-written checkpoint."""
    with replaced_on_success(path, binary=True, sync=True) as f:
        torch.save(payload, f)


def load_checkpoint(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own text goes on to explain how to load the file without the check: never repeat that.
        wanted = re.search(r"(?:unsupported global: GLOBAL|unsupported GLOBAL) ([\w.]+)", str(exc), re.IGNORECASE)
        what = f" (it asks for {wanted.group(1)})" if wanted else ""
        raise CheckpointError(f"{path}: refused: the file holds Python objects other than tensors and plain "
                              f"data{what}; SynthAct loads checkpoints with weights_only=True and never runs code "
                              "from them") from None
    except Exception as exc:
        raise CheckpointError(f"{path}: not a loadable checkpoint ({type(exc).__name__}: {str(exc)[:200]})") from None
