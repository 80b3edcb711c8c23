"""The contact sheet of the vocabulary (docs/img/actions/vocabulary_sheet.jpg): one Workbench clip of every
built-in class rendered through the farm (examples/vocabulary_sheet.yaml), the middle frame of each tiled
with its id. `make figures` runs it (a few minutes on two cores).

    python scripts/vocabulary_sheet.py [OUT.jpg]
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageDraw

from render_farm.core.plan.config import load_config

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "examples" / "vocabulary_sheet.yaml"
TILE = 128
CAPTION = 14


def middle_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    return frames[len(frames) // 2]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "docs" / "img" / "actions" / "vocabulary_sheet.jpg"
    actions = load_config(CONFIG).actions
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "sheet"
        exe = Path(sys.executable).with_name("synthact")
        subprocess.run([str(exe), "render", str(CONFIG), "--out", str(dataset)], check=True)
        cols = math.ceil(math.sqrt(len(actions) * 1.5))
        rows = math.ceil(len(actions) / cols)
        sheet = Image.new("RGB", (cols * TILE, rows * (TILE + CAPTION)), "white")
        draw = ImageDraw.Draw(sheet)
        for i, action in enumerate(actions):
            (clip,) = (dataset / "clips" / action).glob("*.mp4")
            x, y = (i % cols) * TILE, (i // cols) * (TILE + CAPTION)
            sheet.paste(middle_frame(clip).resize((TILE, TILE)), (x, y))
            draw.text((x + 2, y + TILE + 1), action[:21], fill="black")
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, quality=82)
    print(f"wrote {out} ({len(actions)} classes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
