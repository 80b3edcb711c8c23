"""Finding templates: the built-in library's folder plus user folders of template JSON, by id.

Plain Python on the data path (the config expands 'all' and 'family:NAME' with it); the built-in
templates are data files in render_farm/templates/library/.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from render_farm.core.template.model import ActionTemplate, load_template
from synthact.errors import SynthActError

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "templates" / "library"


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


def unknown_action(action_id: str, known: list[str]) -> UnknownActionError:
    """One line a person can act on with 157 ids known: the closest ones, and where the rest are listed."""
    close = difflib.get_close_matches(action_id, known, n=4, cutoff=0.5)
    hint = f"closest: {', '.join(close)}; " if close else ""
    return UnknownActionError(f"unknown action {action_id!r} ({hint}{len(known)} known, listed by "
                              "`synthact templates list`)")


def find_template(action_id: str, extra_dirs: list[Path] | None = None,
                  paths: dict[str, Path] | None = None) -> ActionTemplate:
    """`paths`: template_paths(extra_dirs) when the caller has it already (the library's folders listed once,
    not once per template)."""
    paths = template_paths(extra_dirs) if paths is None else paths
    if action_id not in paths:
        raise unknown_action(action_id, sorted(paths))
    template = load_template(paths[action_id])
    if template.id != action_id:
        raise SynthActError(f"{paths[action_id]}: id: template id {template.id!r} does not match its file name")
    return template


def load_library(extra_dirs: list[Path] | None = None) -> list[ActionTemplate]:
    paths = template_paths(extra_dirs)
    return [find_template(i, paths=paths) for i in sorted(paths)]


def read_library(extra_dirs: list[Path] | None = None) -> tuple[list[ActionTemplate], list[str]]:
    """Every template of the library that loads, and one line for each file that does not (load_library
    stops at the first)."""
    paths = template_paths(extra_dirs)
    templates, problems = [], []
    for template_id in sorted(paths):
        try:
            templates.append(find_template(template_id, paths=paths))
        except SynthActError as exc:
            problems.append(str(exc))
    return templates, problems
