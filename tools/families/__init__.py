"""The built-in vocabulary, one module per family of actions.

Each module lists its actions in ACTIONS (functions returning a TemplateSpec); FAMILIES maps a
family name to them, in the order the library is built. Family names are recorded in every
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
