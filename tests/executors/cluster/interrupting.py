"""Ctrl-C in the middle of a clip, as the cluster scenarios do it (imported by those scripts)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

WAIT_S = 900
STOP_S = 180  # how long the interrupted run may take to stop its workers and exit


def restore_sigint() -> None:
    """For Popen(preexec_fn=...): a test runner may have started us with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def live_processes(match: Callable[[str], bool]) -> list[str]:
    """Command lines of live processes that `match` (in a PID namespace: only this test's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_text().replace("\0", " ").strip()
        except OSError:
            continue
        if match(text):
            found.append(text)
    return found


def interrupt_mid_clip(run: subprocess.Popen, out_dir: str, before: Callable[[], dict]) -> dict:
    """Wait (bounded) until a clip is being encoded, record `before()`, send SIGINT, wait for the exit."""
    clips, start = Path(out_dir) / "clips", time.monotonic()
    while time.monotonic() - start < WAIT_S and run.poll() is None:
        if clips.is_dir() and any(p.name.endswith(".partial") for p in clips.rglob(".*")):
            break
        time.sleep(0.02)
    found = {**before(), "running_at_signal": run.poll() is None}
    run.send_signal(signal.SIGINT)
    try:
        _, stderr = run.communicate(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        run.kill()
        _, stderr = run.communicate()
    found.update(returncode=run.returncode, stderr=stderr[-3000:],
                 temporaries=[str(p) for p in Path(out_dir).rglob(".*") if p.is_file()],
                 labels=sorted(str(p.relative_to(out_dir)) for p in Path(out_dir).rglob("labels/**/*.json")))
    return found
