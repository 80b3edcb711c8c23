"""The built-in vocabulary, one module per family of actions.

Each module lists its actions in ACTIONS (functions returning a TemplateSpec); FAMILIES maps a
family name to them, in the order the library is built. A family with STYLES of its own (the interactions)
gives every action further performances by calling each maker with each style; every other action gets
its further performances from tools.performance_styles (its own keys, played in each style). Family names
are recorded in every template (`family`) and `synthact templates list` shows them.
"""

from __future__ import annotations

from dataclasses import replace

from tools.authoring import TemplateSpec
from tools.families import exercise, gestures, interactions, locomotion, objects, postures
from tools.performance_styles import performances_of

FAMILIES = {
    "locomotion": locomotion.ACTIONS,
    "gesture": gestures.ACTIONS,
    "posture": postures.ACTIONS,
    "exercise": exercise.ACTIONS,
    "object": objects.ACTIONS,
    "interaction": interactions.ACTIONS,
}

PERFORMANCE_STYLES = {
    "interaction": interactions.STYLES,
}


def build_library(only: set[str] | None = None) -> list[TemplateSpec]:
    """Every built-in action, family by family (or those whose ids are in `only`)."""
    specs: list[TemplateSpec] = []
    for family, makers in FAMILIES.items():
        for make in makers:
            spec = make()
            if only is not None and spec.id not in only:
                continue
            spec = spec if spec.family == family else _with_family(spec, family)
            styles = PERFORMANCE_STYLES.get(family, ())
            if styles:
                spec = replace(spec, performances=tuple((s.name, _with_family(make(s), family)) for s in styles))
            else:
                spec = replace(spec, performances=performances_of(spec))
            specs.append(spec)
    ids = [s.id for s in specs]
    if only is not None and (unknown := only - set(ids)):
        raise ValueError(f"no built-in action {sorted(unknown)[0]!r}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate template ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return specs


def _with_family(spec: TemplateSpec, family: str) -> TemplateSpec:
    return replace(spec, family=family)
