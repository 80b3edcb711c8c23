"""What a dataset folder records of its plan (plan.json), and which later plans may render into it.

A folder's clips mean what their plan said when they were rendered: the plan identity (every setting
that changes a clip), the class list in order (a clip's class index is a position in it) and the clip
count (which clips are planned). A later plan may extend the folder (classes added at the end, more
clips); any other change is refused, because it would change what clips already there mean without
saying so. More clips may move a planned clip between train and val (the split ranks a class's clips):
its label then disagrees with its job, and the render finds it and renders it again (dataset.folder).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict

from render_farm.core.plan.config import DatasetConfig
from render_farm.core.plan.planner import plan_identity, plan_settings


class PlanRecord(BaseModel):
    """plan.json. Folders written before classes and clips_per_action were recorded lack them (None)."""

    model_config = ConfigDict(extra="ignore")

    plan_id: str
    settings: dict | None = None
    classes: list[str] | None = None
    clips_per_action: int | None = None


def plan_record(config: DatasetConfig) -> PlanRecord:
    return PlanRecord(plan_id=plan_identity(config), settings=plan_settings(config), classes=list(config.actions),
                      clips_per_action=config.clips_per_action)


def refusal(recorded: PlanRecord, wanted: PlanRecord) -> str | None:
    """Why a folder planned as `recorded` may not take the plan `wanted` (None: it may; `wanted` then
    extends it). One clause, without the folder's name."""
    if recorded.plan_id != wanted.plan_id:
        theirs, ours = recorded.settings or {}, wanted.settings or {}
        changed = [k for k in sorted(set(theirs) | set(ours)) if theirs.get(k) != ours.get(k)]
        what = ", ".join(f"{k} {short_json(theirs.get(k))} -> {short_json(ours.get(k))}" for k in changed[:3])
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        return f"holds clips of another plan ({what or 'different settings'}{more})"
    if recorded.classes is not None and wanted.classes is not None:
        problem = _class_change(recorded.classes, wanted.classes)
        if problem:
            return f"{problem}: a clip's class index is its class's position in actions (classes may only be " \
                   "added at the end)"
    if recorded.clips_per_action is not None and wanted.clips_per_action is not None:
        return _count_change(recorded, wanted)
    return None


def _class_change(theirs: list[str], ours: list[str]) -> str | None:
    for index, (was, now) in enumerate(zip(theirs, ours, strict=False)):
        if was != now:
            how = "moved" if now in theirs else "renamed or replaced"
            return f"class {index} is {was} here and {now} in the config ({how})"
    if len(ours) < len(theirs):
        gone = theirs[len(ours):]
        return f"class {len(ours)} ({gone[0]}) is missing from the config's actions" + \
               (f" (and {len(gone) - 1} more)" if len(gone) > 1 else "")
    return None


def _count_change(recorded: PlanRecord, wanted: PlanRecord) -> str | None:
    was, now = recorded.clips_per_action, wanted.clips_per_action
    if now < was:
        return f"clips_per_action {was} -> {now} would drop planned clips from the split lists (keep {was})"
    return None


def short_json(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 40 else text[:37] + "..."
