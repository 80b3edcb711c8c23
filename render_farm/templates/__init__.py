"""The template library: built-in action templates plus user folders of template JSON (found by
core.template.library), and the class mappings to real datasets."""

from __future__ import annotations

import csv
from pathlib import Path

from render_farm.core.template.library import (
    BUILTIN_DIR,
    UnknownActionError,
    find_template,
    load_library,
    read_library,
    template_paths,
    unknown_action,
)

__all__ = ["BUILTIN_DIR", "MAPPED_DATASETS", "MAPPINGS_DIR", "UnknownActionError", "class_mappings", "find_template",
           "load_library", "read_library", "template_paths", "unknown_action"]

MAPPINGS_DIR = BUILTIN_DIR / "mappings"
# The real datasets the built-in classes are mapped to: file stem -> (title, the column naming its class).
MAPPED_DATASETS = {
    "ntu_rgbd_120": ("NTU RGB+D 60/120", "ntu_class"),
    "kinetics_400": ("Kinetics-400", "kinetics_class"),
    "ucf101": ("UCF101", "ucf101_class"),
    "hmdb51": ("HMDB51", "hmdb51_class"),
    "ut_interaction": ("UT-Interaction", "ut_interaction_class"),
    "kth": ("KTH", "kth_class"),
}


def class_mappings(folder: Path = MAPPINGS_DIR) -> dict[str, dict[str, list[str]]]:
    """dataset -> template id -> the overlapping classes of that dataset, as the dataset spells them."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, (_, column) in MAPPED_DATASETS.items():
        path = folder / f"{name}.csv"
        table: dict[str, list[str]] = {}
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                classes = table.setdefault(row["template_id"], [])
                if row[column] not in classes:
                    classes.append(row[column])
        out[name] = table
    return out
