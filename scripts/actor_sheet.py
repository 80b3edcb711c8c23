"""A contact sheet of 32 random actors in their outfits (docs/img/actors/actors.jpg): `make figures`.

One Cycles clip (the fast preset) each of `walk` (standing tall, arms moving), drawn with the default randomization
(bodies, skin, outfits, hair, accessories), the middle frame of each tiled in a grid.

    python scripts/actor_sheet.py [OUT.jpg]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import av
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
TILE = 160


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "docs" / "img" / "actors" / "actors.jpg"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "actors.yaml"
        config.write_text(yaml.safe_dump({
            "seed": 32, "actions": ["walk"], "clips_per_action": 32, "frames": 9, "fps": 8,
            "resolution": [TILE, TILE], "engine": "cycles", "preset": "fast", "val_fraction": 0.0,
            "camera": {"azimuth_deg": {"uniform": [-30, 30]}, "elevation_deg": {"uniform": [0, 10]},
                       "motion": {"choice": ["static"]}},
        }))
        dataset = Path(tmp) / "actors"
        subprocess.run([str(Path(sys.executable).with_name("synthact")), "render", str(config), "--out",
                        str(dataset)], check=True)
        clips = sorted((dataset / "clips" / "walk").glob("*.mp4"))
        sheet = Image.new("RGB", (8 * TILE, 4 * TILE), "white")
        for i, clip in enumerate(clips[:32]):
            with av.open(str(clip)) as container:
                frames = [f.to_image() for f in container.decode(video=0)]
            sheet.paste(frames[len(frames) // 2], ((i % 8) * TILE, (i // 8) * TILE))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, quality=85)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
