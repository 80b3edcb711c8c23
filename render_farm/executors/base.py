"""What every executor shares: the outcome of a job, the limits a run works within, and one `run` protocol.

An executor takes jobs lazily (an iterator over the plan, never a list of a 150k plan), keeps a bounded
number of them in flight, reports each job's final outcome through `on_done` as it lands, and on
Ctrl-C or SIGTERM (KeyboardInterrupt) stops whatever it started before re-raising, so that nothing
writes into the output folder once it has returned. Executors are chosen by name (`EXECUTORS`, built by
`render_farm.executors.executor_for`).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from render_farm.core.plan.jobs import Job
from synthact.errors import SynthActError

if TYPE_CHECKING:
    from render_farm.dataset.folder import OutputFolder

RETRIES = 2  # a job is tried at most 1 + RETRIES times
RECYCLE_AFTER = 50  # jobs per worker process before it is replaced (bounds memory growth inside Blender)
# A job whose worker finishes no frame for this long is killed and retried like a crash. Generous: a
# GPU's first frame may compile kernels for minutes (docs/farm.md), a large Cycles frame takes a while.
WATCHDOG_S = 600.0


@dataclass
class JobOutcome:
    job_id: str
    ok: bool
    error: str = ""
    stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunLimits:
    """The limits of one run, the same for every executor."""

    retries: int = RETRIES
    recycle_after: int = RECYCLE_AFTER
    watchdog_s: float = WATCHDOG_S

    @classmethod
    def given(cls, recycle_after: int | None = None, watchdog_s: float | None = None) -> RunLimits:
        """The limits given (a flag, a config field), the defaults for the rest (None: not given)."""
        given = {"recycle_after": recycle_after, "watchdog_s": watchdog_s}
        return cls(**{k: v for k, v in given.items() if v is not None})

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise SynthActError(f"retries: must be >= 0, got {self.retries}")
        if self.recycle_after < 1:
            raise SynthActError(f"--recycle-after: must be at least 1, got {self.recycle_after}")
        if not self.watchdog_s > 0:
            raise SynthActError(f"--watchdog: must be a positive number of seconds, got {self.watchdog_s}")


# A full or read-only disk does not heal by rendering the clip again at once.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def one_line(exc: BaseException) -> str:
    """`Type: last line of the message`: what a failed job reports."""
    cause = getattr(exc, "cause", None) or exc  # Ray's RayTaskError wraps the job's own exception
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"


OnDone = Callable[[JobOutcome], None]


class Executor(Protocol):
    """How jobs reach workers. `jobs` are the plan's jobs still to render, in plan order, read lazily;
    `total` is how many there are (for shards and progress). Returns when every job has an outcome."""

    def run(self, jobs: Iterable[Job], total: int, folder: OutputFolder, body_dir: Path, limits: RunLimits,
            on_done: OnDone) -> None: ...


EXECUTORS = ("local", "ray", "slurm")
