"""Write docs/actions.md from the built-in library and its class mappings: `make templates` runs it, and a
test keeps the page in sync.

    python scripts/actions_doc.py [OUT]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from render_farm.templates import MAPPED_DATASETS, class_mappings, load_library

REPO = Path(__file__).resolve().parent.parent
FAMILY_ORDER = ("locomotion", "gesture", "posture", "exercise", "object", "interaction")
FAMILY_TITLES = {
    "locomotion": "Locomotion", "gesture": "Gestures", "posture": "Posture changes",
    "exercise": "Exercise and sport", "object": "Daily actions with objects", "interaction": "Two-person interactions",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def actions_markdown() -> str:
    library = load_library()
    mappings = class_mappings()
    counts = Counter(t.family for t in library)
    mapped = {d: sum(t.id in table for t in library) for d, table in mappings.items()}
    lines = [
        "# The built-in actions",
        "",
        "<!-- Written by scripts/actions_doc.py from render_farm/templates/library (`make templates`); "
        "do not edit by hand. -->",
        "",
        f"SynthAct ships **{len(library)} action classes** in six families: "
        + ", ".join(f"{FAMILY_TITLES[f].lower()} ({counts[f]})" for f in FAMILY_ORDER) + ". "
        "Each is a template authored through the Blender add-on (tools/families/), checked by "
        "`synthact templates check` (valid, joints within limits, on the ground, no two classes near-duplicates) "
        "and listed with `synthact templates list [--json]`.",
        "",
        "Left/right variants (`raise left hand`, `sidestep right`) are never mirrored into each other; other "
        "classes may be mirrored by the farm (the *mirror* column). Props are primitive shapes held in a hand "
        "between keyed frames; a two-person action renders two randomized bodies and labels both "
        "([labels.md](labels.md)).",
        "",
        "## Mappings to real datasets",
        "",
        "Each class that overlaps a class of a real dataset is mapped to it, by the name that dataset uses, in "
        "CSV files beside the templates (`render_farm/templates/library/mappings/`): "
        + ", ".join(f"{MAPPED_DATASETS[d][0]} ({mapped[d]} classes)" for d in MAPPED_DATASETS) + ". "
        "`synthact templates list --json` includes them. A mapping says the motions overlap, not that the "
        "videos look alike: use them to build class-mapped transfer studies. NTU classes A61-A120 exist in NTU "
        "RGB+D 120 only (the CSV's `in_ntu60` column).",
        "",
        "A contact sheet of every class (the middle frame of one Workbench clip each, "
        "`examples/vocabulary_sheet.yaml`) is made by `make figures`: "
        "[img/actions/vocabulary_sheet.jpg](img/actions/vocabulary_sheet.jpg).",
        "",
    ]
    short = {"ntu_rgbd_120": "NTU", "kinetics_400": "Kinetics-400", "ucf101": "UCF101", "hmdb51": "HMDB51",
             "ut_interaction": "UT-Interaction", "kth": "KTH"}
    for family in FAMILY_ORDER:
        members = [t for t in library if t.family == family]
        lines += [f"## {FAMILY_TITLES[family]} ({len(members)})", "",
                  "| id | label | description | seconds | loops | mirror | props | " +
                  " | ".join(short[d] for d in MAPPED_DATASETS) + " |",
                  "|---|---|---|---|---|---|---|" + "---|" * len(MAPPED_DATASETS)]
        for t in members:
            maps = ["; ".join(mappings[d].get(t.id, [])) for d in MAPPED_DATASETS]
            lines.append(
                f"| `{t.id}` | {_cell(t.label)} | {_cell(t.description)} | {t.duration:.1f} | "
                f"{'yes' if t.loops else 'no'} | {'yes' if t.randomization.mirror else 'no'} | "
                f"{_cell(', '.join(p.name for p in t.props))} | " + " | ".join(_cell(m) for m in maps) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "docs" / "actions.md"
    out.write_text(actions_markdown(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
