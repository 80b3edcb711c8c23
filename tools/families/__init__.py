"""The built-in vocabulary, one module per family of actions.

Each module lists its actions in ACTIONS (functions returning a TemplateSpec); FAMILIES maps a
family name to them, in the order the library is built. A family with STYLES (interactions so far) gives
every action further performances: each maker called with each style. Family names are recorded in every
template (`family`) and `synthact templates list` shows them.
"""

from __future__ import annotations

from tools.families import exercise, gestures, interactions, locomotion, objects, postures

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
