"""The worker inside a Blender application: `blender -b --factory-startup --python serve.py`.

Started by executors/blender_process.py, which prepares each job in its own Python (the template, the
ClipSpec, the label and the clip's encoding all need this project's dependencies) and sends this script
what Blender alone must do: build the scene, render the frames, measure them (blender/clip.py). So the
Blender's own Python needs nothing beyond numpy and the project's pure-Python modules, which
SYNTHACT_WORKER_PATH points at (a folder holding only them, so no compiled package of another Python
is ever imported here).

The protocol: two pipes whose descriptors SYNTHACT_WORKER_FDS names (read,write). The host writes one
JSON line per job, {"request": PATH of a core.scene.wire file}; end of file means stop. This script
answers with JSON lines: {"ready": true} once, then per job {"frame": k, "file": NAME} as each
frame file is written into the job's scratch folder, {"pass": k} for each frame of the passes, and
{"done": PATH} (the RenderedFrames, in a wire file) or {"failed": "Type: message"}.
"""

import os
import sys

if __name__ == "__main__":
    _path = os.environ.get("SYNTHACT_WORKER_PATH", "")
    if _path and _path not in sys.path:
        sys.path.insert(0, _path)

import json  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from render_farm.blender.clip import render_clip  # noqa: E402
from render_farm.bodies.baked.body import cached_body  # noqa: E402
from render_farm.core.scene import wire  # noqa: E402

FDS_ENV = "SYNTHACT_WORKER_FDS"


def _unwind(_signum, _frame) -> None:
    raise SystemExit(143)  # the host stops this Blender with SIGTERM: leave between two Python steps


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def render_request(path: Path, send) -> Path:
    """Render the job a wire file at PATH describes; returns the wire file of its RenderedFrames."""
    work = wire.load(path)
    scratch = Path(work["scratch"])
    job = wire.Plain.of(work["job"])
    partner = cached_body(Path(work["partner_body"])) if work["partner_body"] else None
    rendered = render_clip(job, work["spec"], cached_body(Path(work["body"])), partner, scratch,
                           lambda k, frame: send({"frame": k, "file": frame.name}), work["threads"],
                           work["device"], work["slot"], lambda k: send({"pass": k}))
    out = scratch / "rendered.npz"
    wire.save(out, rendered)
    return out


def serve(requests, replies) -> None:
    def send(message: dict) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    send({"ready": True})
    for line in requests:
        request = json.loads(line)["request"]
        try:
            send({"done": str(render_request(Path(request), send))})
        except Exception as exc:  # the job failed: say why and wait for the next
            send({"failed": one_line(exc)})


def main() -> int:
    signal.signal(signal.SIGTERM, _unwind)
    read_fd, write_fd = (int(fd) for fd in os.environ[FDS_ENV].split(","))
    with open(read_fd, encoding="utf-8") as requests, open(write_fd, "w", encoding="utf-8") as replies:
        serve(requests, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
