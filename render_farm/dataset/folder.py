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

from render_farm.core.atomic import write_text_atomic
from render_farm.core.errors import SynthActError
from render_farm.core.jobs import Job

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
    not two stat calls per job: a million-job resume is a few hundred listings."""

    def __init__(self, root: Path):
        self.root = Path(root)
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
        return True


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
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".jobs.jsonl.", suffix=".tmp", dir=self.root)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    for lines in text:
                        f.write(lines)
                        count += lines.count("\n")
                os.chmod(tmp, 0o644)
                os.replace(tmp, self.plan_file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
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

    def complete(self) -> CompleteClips:
        """A snapshot of the complete clips (take a new one after rendering)."""
        return CompleteClips(self.root)

    def remove_stale_temporaries(self) -> int:
        """Temporary files a killed run left behind (hidden `.name.partial` / `.name.*.tmp`): never listed,
        never read, removed before rendering. One run per output folder at a time."""
        removed = 0
        for folder in ("clips", "labels", "passes"):
            for path in (self.root / folder).rglob(".*"):
                if path.is_file() and (path.name.endswith(".partial") or path.name.endswith(".tmp")):
                    path.unlink(missing_ok=True)
                    removed += 1
        for path in self.root.glob(".jobs.jsonl.*.tmp"):
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
        """classes.txt for every planned class, train/val lists of the complete clips only (one pass
        over the plan); returns the counts per split, the complete clips and the planned ones."""
        complete = self.complete()
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
