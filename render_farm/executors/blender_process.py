"""Render with a Blender application (`synthact render --blender PATH`) instead of the `bpy` module.

Each worker process of a run (the local pool's, a Ray task's process, a Slurm shard's) keeps one
Blender running blender/serve.py beside it and hands it jobs over two pipes: the worker resolves the
job, encodes the frames the Blender writes and writes the label (dataset/clip_job.py), so the Blender's
own Python needs only numpy and the project's pure-Python modules, whatever Python this environment
runs. `check_blender` refuses a path that is not a Blender, or one too old, before any job starts.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import render_farm
import synthact
from render_farm.asset_check import VETTED_ENV, vetted_entries
from render_farm.core.lifetime import die_with_parent
from render_farm.core.scene import wire
from render_farm.core.scene.spec import RenderedFrames
from render_farm.dataset.clip_job import ClipWork, produce_clip
from render_farm.dataset.folder import scratch_name
from synthact.errors import SynthActError

SERVE = Path(__file__).resolve().parent.parent / "blender" / "serve.py"
MIN_VERSION = (3, 4)  # Debian 12's Blender, the oldest tested (make test installs it)
PROBE_TIMEOUT_S = 120.0  # a first start on a cold disk loads Blender's libraries and add-ons
STOP_WAIT_S = 3.0  # a Blender told to stop (SIGTERM) that has not after this is killed
PROBE = ("import sys, bpy\ntry:\n    import numpy; n = numpy.__version__\nexcept ImportError:\n    n = None\n"
         "print('synthact-probe', bpy.app.version[0], bpy.app.version[1], bpy.app.version[2], "
         "'.'.join(map(str, sys.version_info[:3])), n, flush=True)")


@dataclass(frozen=True)
class BlenderInfo:
    path: str
    version: tuple[int, int, int]
    python: str
    numpy: str | None

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def resolve_blender(blender: str) -> str:
    """The executable `blender` names (a path, or a name on PATH), or a one-line error."""
    found = shutil.which(blender) if os.sep not in blender else (blender if os.access(blender, os.X_OK) else None)
    if found is None or Path(found).is_dir():
        raise SynthActError(f"--blender: {blender}: no such executable")
    return str(Path(found).resolve())


def check_blender(blender: str, timeout: float = PROBE_TIMEOUT_S) -> BlenderInfo:
    """Start `blender` once in the background and read its version, its Python's and numpy's; a one-line
    error if it is not a Blender, is older than MIN_VERSION, or its Python has no numpy. A Blender that
    passed is not started again by this process while its file is unchanged."""
    exe = resolve_blender(blender)
    return _checked(exe, os.stat(exe).st_mtime_ns, timeout)


@functools.lru_cache(maxsize=8)
def _checked(exe: str, _mtime_ns: int, timeout: float) -> BlenderInfo:
    try:
        done = subprocess.run([exe, "-b", "--factory-startup", "--python-expr", PROBE], capture_output=True,
                              text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SynthActError(f"--blender: {exe}: no answer within {timeout:g} s; is it a Blender?") from None
    except OSError as exc:
        raise SynthActError(f"--blender: {exe}: cannot run it ({exc.strerror})") from None
    found = re.search(r"^synthact-probe (\d+) (\d+) (\d+) (\S+) (\S+)$", done.stdout, re.MULTILINE)
    if found is None:
        head = re.search(r"Blender (\d+)\.(\d+)", done.stdout)
        if head and tuple(map(int, head.groups())) < MIN_VERSION:
            raise SynthActError(f"--blender: {exe} is Blender {head.group(1)}.{head.group(2)}; SynthAct needs "
                                f"{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer")
        raise SynthActError(f"--blender: {exe} is not a Blender (`-b --python-expr` printed no Blender version; "
                            f"exit code {done.returncode})")
    major, minor, patch, python, numpy = found.groups()
    info = BlenderInfo(exe, (int(major), int(minor), int(patch)), python, None if numpy == "None" else numpy)
    if info.version[:2] < MIN_VERSION:
        raise SynthActError(f"--blender: {exe} is Blender {info.version_text}; SynthAct needs "
                            f"{MIN_VERSION[0]}.{MIN_VERSION[1]} or newer")
    if info.numpy is None:
        raise SynthActError(f"--blender: Blender {info.version_text} at {exe}: its Python {python} has no numpy "
                            "(a Linux distribution's Blender: install its numpy, e.g. apt-get install python3-numpy)")
    return info


class BlenderJobError(RuntimeError):
    """A job that failed inside the Blender application; the message is the Blender side's one line.
    `clean`: the Blender said so itself and waits for the next job (else it is stopped and started again)."""

    def __init__(self, message: str, clean: bool = False):
        super().__init__(message)
        self.clean = clean


def _module_links(where: Path) -> Path:
    """A folder holding links to this project's packages alone, for the Blender's sys.path: the folder they
    are installed in may hold compiled packages (numpy, pydantic) of another Python."""
    # Named like a worker's scratch folder: if this process is killed, the run's sweep removes it.
    links = Path(tempfile.mkdtemp(prefix=scratch_name(), dir=where))
    for package in (render_farm, synthact):
        (links / package.__name__).symlink_to(Path(package.__file__).resolve().parent, target_is_directory=True)
    return links


class BlenderWorker:
    """One Blender application running blender/serve.py, started on first use; a Renderer for
    dataset.clip_job.produce_clip. `close()` stops it."""

    def __init__(self, blender: str):
        self.blender = blender
        self.process: subprocess.Popen | None = None
        self.requests = self.replies = None
        self.links: Path | None = None
        self.busy = False  # a job is in its hands: stopping it cannot wait for the end of its requests

    def start(self) -> None:
        self.close()
        self.links = _module_links(Path(tempfile.gettempdir()))
        vetted = self.links / "assets.json"  # the manifest's checksums, for a Python without PyYAML or pydantic
        vetted.write_text(json.dumps(vetted_entries()), encoding="utf-8")
        to_blender, from_blender = os.pipe(), os.pipe()
        env = {**os.environ, "SYNTHACT_WORKER_PATH": str(self.links), VETTED_ENV: str(vetted),
               "SYNTHACT_WORKER_FDS": f"{to_blender[0]},{from_blender[1]}"}
        cmd = [resolve_blender(self.blender), "-b", "--factory-startup", "--python-exit-code", "1",
               "--python", str(SERVE)]
        try:
            # It dies with this process (a killed worker leaves no Blender rendering into the folder).
            self.process = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                            pass_fds=(to_blender[0], from_blender[1]),
                                            preexec_fn=functools.partial(die_with_parent, os.getpid(), signal.SIGTERM))
        finally:
            os.close(to_blender[0])
            os.close(from_blender[1])
        self.requests = open(to_blender[1], "w", encoding="utf-8")
        self.replies = open(from_blender[0], encoding="utf-8")
        message = self._next()
        if "ready" not in message:
            raise BlenderJobError(f"Blender at {self.blender} did not start its worker: {message}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _next(self) -> dict:
        line = self.replies.readline()
        if not line:  # the Blender exited
            code = self.process.wait()
            self.close()
            raise BlenderJobError(f"the Blender application exited (code {code}); see the worker log")
        return json.loads(line)

    def __call__(self, work: ClipWork, deliver: Callable[[int, Path], None],
                 on_pass_frame: Callable[[int], None] | None) -> RenderedFrames:
        if not self.running:
            self.start()
        request = work.scratch / "request.npz"
        wire.save(request, {"job": work.job.model_dump(mode="json"), "spec": work.spec, "body": str(work.body),
                            "partner_body": str(work.partner_body) if work.partner_body else None,
                            "scratch": str(work.scratch), "threads": work.threads, "device": work.device,
                            "slot": work.slot})
        self.busy = True
        self.requests.write(json.dumps({"request": str(request)}) + "\n")
        self.requests.flush()
        try:
            return self._answer(work, deliver, on_pass_frame)
        except BaseException as exc:
            if not getattr(exc, "clean", False):  # mid-job (a SIGTERM here, an encoder error): it cannot go on
                self.close()
            raise
        finally:
            self.busy = False

    def _answer(self, work: ClipWork, deliver: Callable[[int, Path], None],
                on_pass_frame: Callable[[int], None] | None) -> RenderedFrames:
        while True:
            message = self._next()
            if "frame" in message:
                name = message["file"]
                if Path(name).name != name:
                    raise BlenderJobError(f"frame file {name!r} is not a plain name")
                deliver(int(message["frame"]), work.scratch / name)
            elif "pass" in message:
                if on_pass_frame is not None:
                    on_pass_frame(int(message["pass"]))
            elif "done" in message:
                rendered = wire.load(Path(message["done"]))
                if not isinstance(rendered, RenderedFrames):
                    raise BlenderJobError("the Blender application answered something other than rendered frames")
                return rendered
            elif "failed" in message:
                raise BlenderJobError(message["failed"], clean=True)

    def close(self) -> None:
        """Stop the Blender: the end of its requests (between jobs it exits by itself), or SIGTERM (in a job, or
        when it has not exited after STOP_WAIT_S; it unwinds between two Python steps), then SIGKILL."""
        terminated = False
        if self.busy and self.running:
            self.process.terminate()
            terminated = True
        for stream in (self.requests, self.replies):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self.requests = self.replies = None
        if self.process is not None:
            try:
                self.process.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                if not terminated:
                    self.process.terminate()
                    try:
                        self.process.wait(STOP_WAIT_S)
                    except subprocess.TimeoutExpired:
                        pass
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self.links is not None:
            shutil.rmtree(self.links, ignore_errors=True)
            self.links = None


_kept: dict[str, BlenderWorker] = {}


def keep_blender(blender: str) -> BlenderWorker:
    """The Blender application BLENDER that this process keeps for its jobs, started now if it is not
    running (stop it with `close_blenders`; it is stopped when this process exits, too)."""
    worker = _kept.get(blender)
    if worker is None:
        if not _kept:
            atexit.register(close_blenders)
        worker = _kept[blender] = BlenderWorker(blender)
    if not worker.running:
        worker.start()
    return worker


def render_job_in_blender(blender: str, job, out_dir: Path, body_dir: Path, threads: int = 1, device: str = "cpu",
                          slot: int = 0, on_frame: Callable[[int], None] | None = None) -> dict:
    """`blender.worker.render_job` with the frames rendered by the Blender application BLENDER (kept by this
    process between jobs; see `keep_blender`)."""
    return produce_clip(job, Path(out_dir), Path(body_dir), keep_blender(blender), threads, device, slot, on_frame)


def close_blenders() -> None:
    """Stop every Blender this process keeps."""
    while _kept:
        _kept.popitem()[1].close()
