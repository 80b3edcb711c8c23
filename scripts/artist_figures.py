"""Make the illustrations of docs/artists.md (Workbench renders): `make figures`.

1. rig_tpose.png, rig_keyed.png: the add-on's rig, bare and with a preview body posed by a template
   (tools/artist_figures.py, in its own Blender process).
2. preview_variants.png: the middle frame of Preview Variant clips of 'wave' for three seeds, rendered
   through the farm exactly as the add-on's button does (`synthact preview`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import av
from PIL import Image

from render_farm.bodies.baked.cache import body_path, default_cache_dir, missing_bodies
from render_farm.bodies.baking.bake import bake_bodies
from render_farm.core.plan.jobs import BodyParams
from render_farm.preview import render_preview
from render_farm.templates import BUILTIN_DIR

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "artists"
DEFAULT_BODY = BodyParams(phenotype={k: 0.5 for k in ("gender", "age", "muscle", "weight", "height", "proportions")})
SEEDS = (1, 2, 3)


def middle_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    return frames[len(frames) // 2]


def main() -> int:
    bodies = default_cache_dir()
    bake_bodies(bodies, missing_bodies(bodies, [DEFAULT_BODY]))
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "tools.artist_figures", str(OUT),
                    str(body_path(bodies, DEFAULT_BODY))], check=True, cwd=OUT.parents[2])  # tools/: not installed
    with tempfile.TemporaryDirectory() as tmp:
        tiles = [middle_frame(render_preview(BUILTIN_DIR / "wave.json", seed, Path(tmp) / f"wave-{seed}.mp4", bodies,
                                             size=200)) for seed in SEEDS]
    strip = Image.new("RGB", (sum(t.width for t in tiles) + 8 * (len(tiles) - 1), tiles[0].height), "white")
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, 0))
        x += tile.width + 8
    strip.save(OUT / "preview_variants.png", optimize=True)
    for name in ("rig_tpose.png", "rig_keyed.png", "preview_variants.png"):
        print(OUT / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
