"""Reading user files (text, YAML) with one-line errors that name the file (and the line, for YAML syntax)."""

from __future__ import annotations

from pathlib import Path

import yaml

from render_farm.core.errors import SynthActError


def read_user_text(path: str | Path, what: str, error: type[SynthActError] = SynthActError) -> str:
    """A user file's text; `error` names the file when it is missing or unreadable."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None


def load_yaml_mapping(path: str | Path, what: str = "config", error: type[SynthActError] = SynthActError) -> dict:
    """The YAML mapping in `path`; `error` is raised (one line) when it is missing, malformed or not a mapping."""
    path = Path(path)
    text = read_user_text(path, what, error)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: the {what} must be a YAML mapping of fields, got {type(data).__name__}")
    return data
