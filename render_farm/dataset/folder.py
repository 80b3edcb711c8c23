"""The output folder of a render: one place that owns its files.

    jobs.jsonl        the plan, one job a line (written streaming, under a temporary name, then renamed)
    templates/        the templates the plan uses
    clips/, labels/   a clip is complete when its MP4 and its label exist (the label is written last)
    passes/           optional mask/depth arrays
    failures.jsonl    the jobs of the last run that failed, with their errors
    classes.txt, train.txt, val.txt    the split lists: complete clips only
    logs/             one log per worker process

Everything here reads the plan lazily, one line at a time, so a plan of a million jobs costs the
memory of one job (and a set of file names per action folder for completeness).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from render_farm.core.label.integrity import ClipFile, LabelHeadError, clip_file_problem, read_label_head
from render_farm.core.plan.jobs import Job
from render_farm.core.plan.record import PlanRecord, refusal, short_json
from render_farm.core.template.model import ActionTemplate, load_template, template_json
from render_farm.dataset.mp4 import ClipHeaderError, read_header
from synthact.atomic import is_temporary, replaced_on_success, write_text_atomic
from synthact.errors import SynthActError

# Worker processes keep their temporary files (Blender's own, the frames of a clip) in folders named
# after their pid, so that a run can tell the folders of killed workers (pid gone) from live ones.
SCRATCH_PREFIX = "synthact-worker-"


def scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{os.getpid()}-"


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=scratch_name())


def remove_orphaned_scratch(tmp: Path | None = None) -> int:
    """Remove scratch folders of worker processes that no longer exist (killed, in this run or an earlier
    one): a killed process cannot remove its own."""
    removed = 0
    tmp = Path(tmp or tempfile.gettempdir())
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        pid = entry.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def read_jobs(path: Path) -> Iterator[Job]:
    """The jobs of a plan file, one at a time; a bad line is one error naming the file and line."""
    path = Path(path)
    try:
        f = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise SynthActError(f"{path}: cannot read the plan ({exc.strerror})") from None
    with f:
        n = 0
        try:
            for n, line in enumerate(f, 1):  # noqa: B007 - n names the line of an error below
                if line.strip():
                    yield Job.model_validate_json(line)
        except ValueError as exc:  # pydantic's errors and UnicodeDecodeError are ValueErrors
            at = n + 1 if isinstance(exc, UnicodeDecodeError) else n  # decoding fails reading the next line
            raise SynthActError(f"{path}: line {at}: not a valid job ({str(exc).splitlines()[0]})") from None


class CompleteClips:
    """Which jobs have their clip and label, from one directory listing per action folder (os.scandir),
    not two stat calls per job: a million-job resume is a few hundred listings.

    With `check`, a listed clip counts only when its label is whole and says it is this job's clip, and
    the clip is the one the label records (core.label.integrity: the label's first few kB and one stat
    a clip; clips written over are hashed). Labels from before clip records are checked by the clip's
    MP4 header instead. The others are collected in `broken`, with what is wrong."""

    def __init__(self, root: Path, check: bool = False):
        self.root = Path(root)
        self.check = check
        self.broken: list[tuple[Job, str]] = []
        self._names: dict[str, frozenset[str]] = {}

    def _listing(self, rel_dir: str) -> frozenset[str]:
        names = self._names.get(rel_dir)
        if names is None:
            try:
                names = frozenset(e.name for e in os.scandir(self.root / rel_dir) if not e.name.startswith("."))
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()
            self._names[rel_dir] = names
        return names

    def __contains__(self, job: Job) -> bool:
        for rel in (job.label_path, job.clip_path):
            folder, _, name = rel.rpartition("/")
            if name not in self._listing(folder):
                return False
        if self.check:
            problem = clip_problem(self.root, job)
            if problem:
                self.broken.append((job, problem))
                return False
        return True


# A label's fields that must say what its job says (the label is the job's own, from this plan).
_LABEL_SAYS = (("job_id", "job_id"), ("clip", "clip_path"), ("plan_id", "plan_id"), ("action_id", "action_id"),
               ("class_index", "class_index"), ("split", "split"))


def clip_problem(root: Path, job: Job) -> str | None:
    """Why the clip and label of `job` in `root` are not the whole clip the job plans, or None when they are."""
    try:
        head = read_label_head(root / job.label_path)
    except LabelHeadError as exc:
        return f"its label is {exc}"
    for field, attr in _LABEL_SAYS:
        if head.get(field) != getattr(job, attr):
            said, planned = short_json(head.get(field)), short_json(getattr(job, attr))
            return f"its label says {field} {said}, the plan says {planned}"
    r = job.render
    for field, planned in (("frame_count", r.frames), ("width", r.width), ("height", r.height), ("fps", r.fps)):
        if head.get(field) != planned:
            return f"its label says {field} {short_json(head.get(field))}, the plan says {planned}"
    if head.get("clip_file") is None:  # a label from before clip records
        return header_problem(root / job.clip_path, job)
    try:
        record = ClipFile.model_validate(head["clip_file"])
    except ValueError:
        return "its label's clip_file is not a clip record"
    return clip_file_problem(root / job.clip_path, record)


def header_problem(path: Path, job: Job) -> str | None:
    """Why the clip at `path` is not the whole clip `job` plans by its MP4 header, or None when it is."""
    try:
        header = read_header(path)
    except (OSError, ClipHeaderError) as exc:
        return f"unreadable MP4 ({exc})"
    r = job.render
    if header.frames != r.frames:
        return f"{header.frames} frames, the plan says {r.frames}"
    if (header.width, header.height) != (r.width, r.height):
        return f"{header.width}x{header.height}, the plan says {r.width}x{r.height}"
    return None


class OutputFolder:
    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def plan_file(self) -> Path:
        return self.root / "jobs.jsonl"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def failures_file(self) -> Path:
        return self.root / "failures.jsonl"

    def _cannot_write(self, exc: OSError) -> SynthActError:
        return SynthActError(f"{exc.filename or self.root}: cannot write the output folder ({exc.strerror})")

    def write_plan(self, text: Iterable[str]) -> int:
        """Write jobs.jsonl from its lines, given one or many at a time (never the whole plan at once),
        under a temporary name renamed when complete; returns the number of jobs."""
        count = 0
        try:
            with replaced_on_success(self.plan_file) as f:
                for lines in text:
                    f.write(lines)
                    count += lines.count("\n")
        except OSError as exc:
            raise self._cannot_write(exc) from None
        return count

    def write_template(self, name: str, text: str) -> None:
        try:
            write_text_atomic(self.templates / name, text)
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def jobs(self) -> Iterator[Job]:
        if not self.plan_file.is_file():
            raise SynthActError(f"{self.plan_file}: plan file not found")
        return read_jobs(self.plan_file)

    def complete(self, check: bool = False) -> CompleteClips:
        """A snapshot of the complete clips (take a new one after rendering); `check`: check each clip and
        its label against its job too (CompleteClips)."""
        return CompleteClips(self.root, check)

    def remove_clip(self, job: Job) -> None:
        """Remove a job's label (first: a clip without one is never listed), clip and passes."""
        for rel in (job.label_path, job.clip_path, job.passes_path):
            if rel:
                (self.root / rel).unlink(missing_ok=True)

    @property
    def plan_record(self) -> Path:
        return self.root / "plan.json"

    def recorded_plan(self) -> PlanRecord | None:
        """plan.json, with what folders from before the class list was recorded lack filled in from their
        classes.txt and jobs.jsonl; None when the folder has no plan.json."""
        try:
            recorded = PlanRecord.model_validate_json(self.plan_record.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            raise SynthActError(f"{self.plan_record}: unreadable ({first}); remove it if the folder holds no clips "
                                "you want to keep") from None
        classes_file = self.root / "classes.txt"
        if recorded.classes is None and classes_file.is_file():
            recorded.classes = classes_file.read_text(encoding="utf-8").split()
        if recorded.clips_per_action is None and recorded.classes and self.plan_file.is_file():
            with open(self.plan_file, "rb") as f:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
            recorded.clips_per_action = lines // len(recorded.classes) or None
        return recorded

    def claim(self, wanted: PlanRecord, templates: Iterable[ActionTemplate] = ()) -> None:
        """Bind the folder to one plan: refuse (one line, nothing written) a plan that would change what
        clips already here mean (record.refusal), or a template that differs from the copy its clips were
        rendered from; record the plan in plan.json when it is new or extends the recorded one."""
        recorded = self.recorded_plan()
        if recorded is not None:
            problem = refusal(recorded, wanted)
            if problem:
                raise SynthActError(f"{self.root}: {problem}; render into a new --out folder, or remove this one")
        elif next(self.root.glob("labels/*/*.json"), None) is not None:
            # Clips from before plan identities (2026-11-29) were sampled by an older planner: the same
            # config now plans other parameters for the same job ids, so the plan would not describe them.
            raise SynthActError(f"{self.root}: holds clips rendered by an older synthact (no plan.json); render "
                                "into a new --out folder")
        for template in templates:
            copy = self.templates / f"{template.id}.json"
            if copy.is_file() and not _same_template(copy, template):
                raise SynthActError(f"{copy}: the template of class {template.id} has changed since this folder's "
                                    "clips were planned; render into a new --out folder, or remove this one")
        if recorded == wanted:
            return
        try:
            write_text_atomic(self.plan_record, wanted.model_dump_json(indent=1) + "\n")
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def remove_stale_temporaries(self) -> int:
        """Temporary files a killed run left behind (hidden `.name.partial` / `.name.*.tmp`): never listed,
        never read, removed before rendering. One run per output folder at a time."""
        removed = 0
        for folder in ("clips", "labels", "passes"):
            for path in (self.root / folder).rglob(".*"):
                if path.is_file() and is_temporary(path.name):
                    path.unlink(missing_ok=True)
                    removed += 1
        for path in self.root.glob(".*"):
            if path.is_file() and is_temporary(path.name):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def write_failures(self, failed: list, shard: int | None = None) -> Path:
        """failures.jsonl (or slurm/failures-<shard>.jsonl for an array task) lists the jobs that failed in
        this run, with their errors; without failures it is removed. Returns its path."""
        path = self.failures_file if shard is None else self.root / "slurm" / f"failures-{shard}.jsonl"
        if failed:
            write_text_atomic(path, "".join(json.dumps({"job_id": f.job_id, "error": f.error}) + "\n"
                                            for f in failed))
        else:
            path.unlink(missing_ok=True)
        return path

    def write_split_lists(self) -> tuple[dict[str, int], int, int]:
        """classes.txt for every planned class, train/val lists of the complete clips only, each checked
        (CompleteClips, one pass over the plan); returns the counts per split, the complete clips and the
        planned ones."""
        complete = self.complete(check=True)
        names: dict[int, str] = {}
        rows: dict[str, list[str]] = {"train": [], "val": []}
        planned = 0
        for job in self.jobs():
            planned += 1
            names.setdefault(job.class_index, job.action_id)
            if job in complete:
                rows[job.split].append(f"{job.clip_path} {job.class_index}\n")
        if sorted(names) != list(range(len(names))):
            raise SynthActError(f"{self.plan_file}: class indices are not contiguous from 0")
        write_text_atomic(self.root / "classes.txt", "".join(f"{names[i]}\n" for i in range(len(names))))
        for split, lines in rows.items():
            write_text_atomic(self.root / f"{split}.txt", "".join(lines))
        counts = {split: len(lines) for split, lines in rows.items()}
        return counts, sum(counts.values()), planned



def _same_template(copy: Path, template: ActionTemplate) -> bool:
    """Whether the folder's copy holds the same motion, props, partner and ranges as `template` (compared as
    written to a folder, so digits beyond the written ones, the schema version and the description, which
    no clip or label shows, do not count)."""
    try:
        theirs = json.loads(template_json(load_template(copy)))
    except SynthActError:
        return False
    ours = json.loads(template_json(template))
    for unseen in ("schema_version", "description"):
        theirs.pop(unseen, None)
        ours.pop(unseen, None)
    return theirs == ours
