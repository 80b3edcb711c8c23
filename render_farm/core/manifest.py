"""Dataset-level files: classes.txt, train.txt and val.txt (the list format pytorchvideo and MMAction2 read)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from render_farm.core.atomic import write_text_atomic
from render_farm.core.jobs import Job


def class_names(jobs: Iterable[Job]) -> list[str]:
    """Class names (action ids) in class-index order."""
    names: dict[int, str] = {}
    for job in jobs:
        names.setdefault(job.class_index, job.action_id)
    if sorted(names) != list(range(len(names))):
        raise ValueError("class indices are not contiguous from 0")
    return [names[i] for i in range(len(names))]


def write_manifest(out_dir: Path, jobs: list[Job], complete: set[str]) -> dict[str, int]:
    """classes.txt for every planned class; train/val lists of the complete clips only."""
    write_text_atomic(out_dir / "classes.txt", "".join(f"{c}\n" for c in class_names(jobs)))
    counts = {}
    for split in ("train", "val"):
        rows = [f"{j.clip_path} {j.class_index}\n" for j in jobs if j.split == split and j.job_id in complete]
        write_text_atomic(out_dir / f"{split}.txt", "".join(rows))
        counts[split] = len(rows)
    return counts
