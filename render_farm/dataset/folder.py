"""The output folder of a render: one place that owns its files.

    jobs.jsonl        the plan, one job a line (written streaming, under a temporary name, then renamed)
    templates/        the templates the plan uses
    clips/, labels/   a clip is complete when its MP4 and its label exist (the label is written last)
    passes/           optional mask/depth arrays
    failures.jsonl    the jobs of the last run that failed, with their errors
    classes.txt, train.txt, val.txt    the split lists: complete clips only
    logs/             one log per worker process
    journal/          which job line each clip and label were written for (core.label.journal)

Everything here reads the plan lazily, one line at a time, so a plan of a million jobs never holds a
million jobs: the resume scan keeps the journal's entries (a digest and six numbers a job), a set of file
names per action folder, the byte offsets of the jobs to render and the split lists' lines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from render_farm.core.label import journal
from render_farm.core.label.integrity import ClipFile, LabelHeadError, clip_file_problem, read_label_head
from render_farm.core.plan.jobs import Job
from render_farm.core.plan.record import PlanRecord, refusal, short_json
from render_farm.core.template.model import ActionTemplate, load_template, template_json
from render_farm.dataset.mp4 import ClipHeaderError, read_header
from synthact.atomic import is_temporary, replaced_on_success, write_text_atomic
from synthact.errors import SynthActError

# Worker processes keep their temporary files (Blender's own, the frames of a clip) in folders named
# after their pid namespace and pid, so that a run can tell the folders of killed workers (pid gone) from
# live ones. A pid means something only in its own namespace: a run in a container, or in `unshare --pid`,
# sharing /tmp with the host sees none of the host's processes, so it leaves other namespaces' folders alone.
SCRATCH_PREFIX = "synthact-worker-"


def pid_namespace() -> str:
    """This process's pid namespace as digits (`pid:[4026531836]` -> `4026531836`); "0" where unknown."""
    try:
        link = os.readlink("/proc/self/ns/pid")
    except OSError:
        return "0"
    digits = "".join(c for c in link if c.isdigit())
    return digits or "0"


def scratch_name() -> str:
    return f"{SCRATCH_PREFIX}{pid_namespace()}-{os.getpid()}-"


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=scratch_name())


def remove_orphaned_scratch(tmp: Path | None = None) -> int:
    """Remove scratch folders of worker processes that no longer exist (killed, in this run or an earlier
    one): a killed process cannot remove its own. Only folders of this pid namespace are judged; folders
    named the older way (a pid alone) are left alone, as their namespace is unknown."""
    removed = 0
    own = pid_namespace()
    tmp = Path(tmp or tempfile.gettempdir())
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        namespace, _, rest = entry.name[len(SCRATCH_PREFIX):].partition("-")
        pid = rest.split("-", 1)[0]
        if namespace == own and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def _open_plan(path: Path):
    try:
        return open(path, "rb")  # noqa: SIM115 - the callers close it
    except OSError as exc:
        raise SynthActError(f"{path}: cannot read the plan ({exc.strerror})") from None


def _bad_line(path: Path, n: int, exc: ValueError) -> SynthActError:
    if isinstance(exc, ValidationError):  # the first field that fails, not pydantic's count of them
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return SynthActError(f"{path}: line {n}: not a valid job ({where + ': ' if where else ''}{first['msg']})")
    return SynthActError(f"{path}: line {n}: not a valid job ({str(exc).splitlines()[0]})")


def _job(path: Path, n: int, raw: bytes) -> Job:
    """One plan line as a job; a bad line is one error naming the file and line."""
    try:
        return Job.model_validate_json(raw.decode("utf-8"))
    except ValueError as exc:  # pydantic's errors and UnicodeDecodeError are ValueErrors
        raise _bad_line(path, n, exc) from None


def read_jobs(path: Path) -> Iterator[Job]:
    """The jobs of a plan file, one at a time; a bad line is one error naming the file and line."""
    path = Path(path)
    with _open_plan(path) as f:
        for n, raw in enumerate(f, 1):
            if raw.strip():
                yield _job(path, n, raw)


def read_jobs_at(path: Path, offsets: Iterable[int]) -> Iterator[Job]:
    """The jobs of the plan lines that start at these byte offsets (a resume scan's jobs to render)."""
    path = Path(path)
    with _open_plan(path) as f:
        for offset in offsets:
            f.seek(offset)
            raw = f.readline()
            try:
                job = Job.model_validate_json(raw.decode("utf-8"))
            except ValueError as exc:  # the file changed since the scan: name the line it is now
                f.seek(0)
                raise _bad_line(path, f.read(offset).count(b"\n") + 1, exc) from None
            yield job


def _line_head(raw: bytes) -> dict | None:
    """The fields before `render` of a plan line as job_line writes it (job_id, class, split, paths), parsed
    without the rest of the line; None when the line is not shaped so. Trusted as the job only for a line
    whose digest is in the journal, so one job_line wrote (quotes inside JSON strings are escaped, so
    `,"render":` can only be the key); otherwise it only says where the line's label would be, and the line
    is parsed in full before anything is rendered from it."""
    cut = raw.find(b',"render":')
    if cut < 0:
        return None
    try:
        head = _decode_head(raw[:cut].decode("utf-8") + "}")
    except ValueError:
        return None
    g = head.get
    shaped = (type(g("clip_path")) is str and type(g("label_path")) is str and type(g("split")) is str
              and type(g("action_id")) is str and type(g("class_index")) is int)
    return head if shaped else None


_decode_head = json.JSONDecoder().decode  # on str: no encoding detection, no keyword handling per call


@dataclass
class ResumeScan:
    """What a resume found: the plan's job count, where each job still to render starts in the plan file, and
    the present clips that failed the check (with why), which count as to render."""

    planned: int = 0
    todo: array = dataclasses.field(default_factory=lambda: array("q"))
    broken: list[tuple[Job, str]] = dataclasses.field(default_factory=list)
    journaled: int = 0  # complete by their journal entry, neither label opened nor line parsed
    classes: dict[int, str] = dataclasses.field(default_factory=dict)  # every planned class index -> its action
    lists: dict[str, list[str]] = dataclasses.field(default_factory=lambda: {"train": [], "val": []})  # complete clips

    def complete(self, split: str, clip_path: str, class_index: int) -> None:
        self.lists.setdefault(split, []).append(f"{clip_path} {class_index}\n")


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

    def scan(self) -> ResumeScan:
        """The resume scan: every plan line once. A line whose journal entry still matches its label and clip
        is complete as it is (neither parsed nor its label opened); a line whose label is not there is to
        render (not parsed here either: what is rendered is parsed before); any other line is parsed, which
        checks it, and its clip checked against its label and job (CompleteClips); those that pass are
        journaled, so the next scan takes the short way. The jobs to render are kept as byte offsets into the plan,
        which read_jobs_at reads back: a million-job plan costs 8 MB here, not a million jobs."""
        path = self.plan_file
        if not path.is_file():
            raise SynthActError(f"{path}: plan file not found")
        entries = journal.read_journal(self.root)
        checked = CompleteClips(self.root, check=True)
        scan = ResumeScan()
        base, offset, journaling = str(self.root) + os.sep, 0, True
        writer = journal.JournalWriter(self.root)
        with _open_plan(path) as f, contextlib.closing(writer):
            for n, raw in enumerate(f, 1):
                here, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                scan.planned += 1
                digest = journal.line_digest(raw)
                entry = entries.get(digest)
                head = _line_head(raw)
                if entry is not None:
                    if head and journal.unchanged(entry, base + head["label_path"], base + head["clip_path"]):
                        scan.journaled += 1
                        scan.classes.setdefault(head["class_index"], head["action_id"])
                        scan.complete(head["split"], head["clip_path"], head["class_index"])
                        continue
                elif head and not os.path.lexists(base + head["label_path"]):
                    # Nothing of it is there: to render, without parsing the line here. Every line to render
                    # is parsed, and so checked, before any job starts (its bodies are looked up) and when
                    # its worker takes it; a line only shaped like one is parsed then and refused in one line.
                    scan.classes.setdefault(head["class_index"], head["action_id"])
                    scan.todo.append(here)
                    continue
                job = _job(path, n, raw)
                scan.classes.setdefault(job.class_index, job.action_id)
                if job not in checked:
                    scan.todo.append(here)
                    continue
                scan.complete(job.split, job.clip_path, job.class_index)
                if journaling:
                    try:
                        writer.append(digest, job.label_path, job.clip_path)
                    except OSError:
                        journaling = False  # a read-only folder: every resume checks in full
        scan.broken = checked.broken
        return scan

    def jobs_at(self, offsets: Iterable[int]) -> Iterator[Job]:
        return read_jobs_at(self.plan_file, offsets)

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

    def write_split_lists(self, scan: ResumeScan | None = None) -> tuple[dict[str, int], int, int]:
        """classes.txt for every planned class, train/val lists of the complete clips only, each checked
        (a scan, taken now unless given); returns the counts per split, the complete clips and the planned
        ones."""
        scan = scan or self.scan()
        names = scan.classes
        if sorted(names) != list(range(len(names))):
            raise SynthActError(f"{self.plan_file}: class indices are not contiguous from 0")
        write_text_atomic(self.root / "classes.txt", "".join(f"{names[i]}\n" for i in range(len(names))))
        for split, lines in scan.lists.items():
            write_text_atomic(self.root / f"{split}.txt", "".join(lines))
        counts = {split: len(lines) for split, lines in scan.lists.items()}
        return counts, sum(counts.values()), scan.planned


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
