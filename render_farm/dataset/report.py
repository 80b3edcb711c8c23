"""`synthact report`: what a rendered dataset holds, at a glance.

Writes OUTPUT/report/: clips per class (table and bar chart), histograms of every sampled
numeric parameter and counts of every categorical one, a contact sheet with the middle frame
of every clip, and an animated GIF per class; `report.md` ties them together.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from render_farm.core.plan.jobs import Job
from render_farm.core.plan.planner import sampled_parameters, summarize
from synthact.atomic import replaced_on_success, write_text_atomic


def _frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _plots(summary: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    actions = list(summary["per_action"])
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(actions) + 2), 3))
    train = [summary["per_action"][a]["train"] for a in actions]
    val = [summary["per_action"][a]["val"] for a in actions]
    ax.bar(actions, train, label="train")
    ax.bar(actions, val, bottom=train, label="val")
    ax.set_ylabel("clips")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend()
    fig.tight_layout()
    with replaced_on_success(out / "clips_per_class.png", binary=True) as f:
        fig.savefig(f, dpi=100, format="png")
    plt.close(fig)
    written.append("clips_per_class.png")
    return written


def _histograms(values: dict[str, list], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(values)
    cols = 4
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 3, rows * 2.2))
    for ax, name in zip(np.ravel(axes), names, strict=False):
        vs = values[name]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vs):
            ax.hist(vs, bins=min(20, max(3, len(vs) // 2)))
        else:
            labels, counts = np.unique([str(v) for v in vs], return_counts=True)
            ax.bar(labels, counts)
            ax.tick_params(axis="x", rotation=45, labelsize=6)
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in np.ravel(axes)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    with replaced_on_success(out / "parameters.png", binary=True) as f:
        fig.savefig(f, dpi=90, format="png")
    plt.close(fig)
    return "parameters.png"


def _contact_sheet(items: list[tuple[str, np.ndarray]], out: Path, cell: int = 128) -> str:
    from PIL import Image, ImageDraw

    cols = min(8, max(1, len(items)))
    rows = math.ceil(len(items) / cols)
    sheet = Image.new("RGB", (cols * cell, rows * (cell + 14)), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    for i, (caption, frame) in enumerate(items):
        x, y = (i % cols) * cell, (i // cols) * (cell + 14)
        sheet.paste(Image.fromarray(frame).resize((cell, cell)), (x, y))
        draw.text((x + 3, y + cell + 1), caption[:22], fill=(230, 230, 230))
    with replaced_on_success(out / "contact_sheet.png", binary=True) as f:
        sheet.save(f, format="PNG")
    return "contact_sheet.png"


def _gif(frames: list[np.ndarray], path: Path, fps: float) -> None:
    from PIL import Image

    step = max(1, len(frames) // 16)
    images = [Image.fromarray(f) for f in frames[::step]]
    with replaced_on_success(path, binary=True) as f:
        images[0].save(f, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 * step / fps),
                       loop=0)


def write_report(root: Path, jobs: list[Job], on_clip: Callable[[], None] | None = None) -> Path:
    root = Path(root)
    out = root / "report"
    (out / "gifs").mkdir(parents=True, exist_ok=True)
    complete = [j for j in jobs if (root / j.label_path).is_file() and (root / j.clip_path).is_file()]
    summary = summarize(complete)
    files = _plots(summary, out)
    values: dict[str, list] = {}
    for j in complete:
        for k, v in sampled_parameters(j).items():
            # Colour channels would flood the page: the patterns, tones and counts tell more.
            if isinstance(v, int | float | str | bool) and "colors" not in k and not k.startswith("appearance.ground"):
                values.setdefault(k, []).append(v)
    files.append(_histograms(values, out))
    sheet, gifs = [], {}
    for j in complete:
        frames = _frames(root / j.clip_path)
        sheet.append((j.job_id, frames[len(frames) // 2]))
        if j.action_id not in gifs:
            name = f"gifs/{j.action_id}.gif"
            _gif(frames, out / name, j.render.fps)
            gifs[j.action_id] = name
        if on_clip:
            on_clip()
    if sheet:
        files.append(_contact_sheet(sheet, out))
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1))
    lines = [f"# Dataset report: {root}", "", f"{len(complete)} complete clips of {len(jobs)} planned.", "",
             "| class | train | val | preview |", "|---|---|---|---|"]
    for a, n in summary["per_action"].items():
        lines.append(f"| {a} | {n['train']} | {n['val']} | ![{a}]({gifs.get(a, '')}) |")
    lines += ["", "![clips per class](clips_per_class.png)", "", "## Sampled parameters", "",
              "![parameters](parameters.png)", "", "## Contact sheet (middle frame of every clip)", "",
              "![contact sheet](contact_sheet.png)", ""]
    write_text_atomic(out / "report.md", "\n".join(lines))
    return out
