"""The template library: built-in action templates plus user folders of template JSON."""

from __future__ import annotations

from pathlib import Path

from render_farm.core.errors import SynthActError
from render_farm.core.template import ActionTemplate, load_template

BUILTIN_DIR = Path(__file__).parent / "library"


class UnknownActionError(SynthActError):
    pass


def template_paths(extra_dirs: list[Path] | None = None) -> dict[str, Path]:
    """Template id -> file; later folders override earlier ones (user folders override built-ins)."""
    found: dict[str, Path] = {}
    for folder in [BUILTIN_DIR, *(extra_dirs or [])]:
        folder = Path(folder)
        if not folder.is_dir():
            raise SynthActError(f"{folder}: template folder not found")
        for path in sorted(folder.glob("*.json")):
            found[path.stem] = path
    return found


def find_template(action_id: str, extra_dirs: list[Path] | None = None) -> ActionTemplate:
    paths = template_paths(extra_dirs)
    if action_id not in paths:
        raise UnknownActionError(f"unknown action {action_id!r} (known: {', '.join(sorted(paths))})")
    template = load_template(paths[action_id])
    if template.id != action_id:
        raise SynthActError(f"{paths[action_id]}: id: template id {template.id!r} does not match its file name")
    return template


def load_library(extra_dirs: list[Path] | None = None) -> list[ActionTemplate]:
    return [find_template(i, extra_dirs) for i in sorted(template_paths(extra_dirs))]
