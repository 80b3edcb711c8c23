"""Errors the command line reports as one line and a non-zero exit."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the worker inside a Blender application raises these errors without pydantic installed
    from pydantic import ValidationError


class SynthActError(Exception):
    """A problem with user input, reported without a traceback."""


class RenderInterrupted(SynthActError):
    """The user stopped a render (Ctrl-C or SIGTERM) after its workers were stopped and its output tidied."""


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def describe_validation_error(source: str | Path, exc: ValidationError) -> str:
    """One line naming the source and the first failing field, e.g. `a.yaml: clips_per_action: ...`."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, float) and math.isnan(value) and err["type"] in _BOUNDS:
        msg = "not a number (NaN)"  # every comparison with NaN is false: "should be <= 240" would mislead
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    # Whole-model checks name their field inside the message.
    return f"{source}: {loc}: {msg}{tail}" if loc else f"{source}: {msg}{tail}"
