"""`synthact verify`: check a rendered dataset end to end and list every problem.

Decodes every clip (PyAV) and compares frame count, size and fps with its label (and its bytes with the
digest the label records), checks every label
against the plan it claims (the folder's plan identity, its job's id, size, frames and fps), validates
every label against the schema, and checks classes.txt and the split lists against clips and labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from render_farm.core.label.integrity import clip_file_problem
from render_farm.core.label.labels import ClipLabel
from render_farm.core.plan.jobs import Job
from render_farm.dataset.folder import OutputFolder
from synthact.errors import SynthActError, describe_validation_error


def decode_stats(path: Path) -> tuple[int, int, int, float]:
    """Frames actually decodable, width, height, and the stream's average frame rate."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.codec_context.width, stream.codec_context.height, float(stream.average_rate or 0)


def _against_plan(label: ClipLabel, job: Job | None, plan_id: str | None) -> list[str]:
    if job is None:
        return [f"clip {label.clip} is not in the plan (jobs.jsonl)"]
    found = []
    if plan_id is not None and label.plan_id != plan_id:
        found.append(f"rendered from plan {label.plan_id}, the folder's plan is {plan_id}")
    r = job.render
    for what, theirs, ours in (("job_id", label.job_id, job.job_id), ("frame_count", label.frame_count, r.frames),
                               ("size", f"{label.width}x{label.height}", f"{r.width}x{r.height}"),
                               ("fps", label.fps, r.fps)):
        if theirs != ours:
            found.append(f"{what} {theirs}, the plan says {ours}")
    return found


def verify_dataset(root: Path, on_clip: Callable[[], None] | None = None) -> tuple[list[str], int]:
    """Problems found (empty when the dataset is sound) and the number of clips checked."""
    root = Path(root)
    problems: list[str] = []
    classes_file = root / "classes.txt"
    classes = classes_file.read_text(encoding="utf-8").split() if classes_file.is_file() else None
    if classes is None:
        problems.append(f"{classes_file}: missing")

    folder = OutputFolder(root)
    plan_id = None
    if folder.plan_record.is_file():
        try:
            plan_id = json.loads(folder.plan_record.read_text(encoding="utf-8"))["plan_id"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"plan.json: unreadable ({exc})")
    planned: dict[str, Job] = {}
    if folder.plan_file.is_file():
        try:
            planned = {j.clip_path: j for j in folder.jobs()}
        except SynthActError as exc:
            problems.append(str(exc))
    else:
        problems.append("jobs.jsonl: missing (no plan to check the clips against)")

    labels: dict[str, ClipLabel] = {}
    for path in sorted((root / "labels").rglob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            label = ClipLabel.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            problems.append(describe_validation_error(rel, exc))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{rel}: unreadable ({exc})")
            continue
        labels[label.clip] = label
        for problem in _against_plan(label, planned.get(label.clip), plan_id):
            problems.append(f"{rel}: {problem}")
        if classes is not None and (label.class_index >= len(classes) or classes[label.class_index] != label.action_id):
            problems.append(f"{rel}: class_index {label.class_index} is not {label.action_id!r} in classes.txt")

    clips = sorted(p.relative_to(root).as_posix() for p in (root / "clips").rglob("*.mp4")) \
        if (root / "clips").is_dir() else []
    for rel in clips:
        if rel not in labels:
            problems.append(f"{rel}: clip has no label")
    for rel, label in labels.items():
        if on_clip:
            on_clip()
        path = root / rel
        if not path.is_file():
            problems.append(f"{rel}: label {label.job_id} names a clip that does not exist")
            continue
        if label.clip_file is not None:
            problem = clip_file_problem(path, label.clip_file, full=True)
            if problem:
                problems.append(f"{rel}: {problem}")
        try:
            frames, width, height, fps = decode_stats(path)
        except Exception as exc:  # corrupt container or stream
            problems.append(f"{rel}: does not decode ({type(exc).__name__}: {exc})")
            continue
        if frames != label.frame_count:
            problems.append(f"{rel}: {frames} frames decoded, label says {label.frame_count}")
        if (width, height) != (label.width, label.height):
            problems.append(f"{rel}: {width}x{height}, label says {label.width}x{label.height}")
        if abs(fps - label.fps) > 1e-3:
            problems.append(f"{rel}: {fps:g} fps, label says {label.fps:g}")

    listed: dict[str, str] = {}
    for split in ("train", "val"):
        split_file = root / f"{split}.txt"
        if not split_file.is_file():
            problems.append(f"{split}.txt: missing")
            continue
        for n, line in enumerate(split_file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                problems.append(f"{split}.txt:{n}: malformed line {line!r}")
                continue
            rel, idx = parts[0], int(parts[1])
            if rel in listed:
                problems.append(f"{split}.txt:{n}: {rel} is already listed in {listed[rel]}.txt")
                continue
            listed[rel] = split
            label = labels.get(rel)
            if label is None:
                problems.append(f"{split}.txt:{n}: {rel} has no valid label")
            elif label.class_index != idx or label.split != split:
                problems.append(f"{split}.txt:{n}: {rel} is class {idx} in {split}, its label says class "
                                f"{label.class_index} in {label.split}")
            if not (root / rel).is_file():
                problems.append(f"{split}.txt:{n}: {rel} does not exist")
    for rel in labels:
        if rel not in listed:
            problems.append(f"{rel}: complete clip is not listed in train.txt or val.txt")
    return problems, len(labels)
