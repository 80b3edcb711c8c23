"""Carry a clip's spec to a worker inside a Blender application and its truths back, as one `.npz` file.

The two sides may run different Pythons and numpys (the host's environment, Blender's bundled one), so
nothing is pickled: arrays travel as arrays and everything else as JSON, and only the dataclasses named
in KINDS are rebuilt (never a class that the file names on its own). A job travels as its JSON, read
on the Blender side as `Plain` (attribute access over the dicts: what the bpy layer reads of a job).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from render_farm.core.geometry.camera import CameraPose
from render_farm.core.scene.spec import ActorTrack, ClipSpec, FrameTruth, PropTrack, RenderedFrames

KINDS = {cls.__name__: cls for cls in (ClipSpec, ActorTrack, PropTrack, CameraPose, FrameTruth, RenderedFrames)}
META = "__meta__"


class WireError(ValueError):
    pass


class Plain(dict):
    """A job's JSON with attribute access (`job.render.width`), for code written against the pydantic
    models: nested objects are Plain too, lists stay lists, and `.get` and `[...]` still work."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def of(cls, value):
        if isinstance(value, dict):
            return cls({k: cls.of(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.of(v) for v in value]
        return value


def _encode(value, arrays: dict[str, np.ndarray]):
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value).__name__
        if KINDS.get(kind) is not type(value):
            raise WireError(f"cannot send a {kind}")
        return {"__kind__": kind,
                "fields": {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        if any(not isinstance(k, str) or k.startswith("__") for k in value):
            raise WireError("dict keys must be strings not starting with '__'")
        return {k: _encode(v, arrays) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise WireError(f"cannot send a {type(value).__name__}")


def _decode(value, arrays):
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__kind__" in value:
        cls = KINDS.get(value["__kind__"])
        if cls is None:
            raise WireError(f"unknown kind {value['__kind__']!r}")
        return cls(**{k: _decode(v, arrays) for k, v in value["fields"].items()})
    return {k: _decode(v, arrays) for k, v in value.items()}


def save(path: Path, value) -> None:
    """Write `value` (dataclasses of KINDS, arrays, JSON values, tuples) to PATH (an .npz, uncompressed)."""
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps(_encode(value, arrays), allow_nan=True)
    with open(path, "wb") as f:
        np.savez(f, **{META: np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)}, **arrays)


def load(path: Path):
    """What `save` wrote. Object arrays are refused (numpy would unpickle them)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != META}
        meta = json.loads(bytes(data[META]).decode("utf-8"))
    return _decode(meta, arrays)
