"""Which parts of the generator (and of the preprocessing) matter for real video: zero-shot top-1 on a real
dataset and top-1 on the synthetic validation clips, one row per variant, side by side.

Each variant is a synthetic dataset folder or a dataset config (rendered first, then pretrained with the
recipe's `pretrain` settings through `synthact train transfer`'s own code); each trained model is then also
scored with the evaluation-side choices changed one at a time (the whole video alone or centred spans of it
averaged, a clip_seconds window instead of the whole video, a centre crop instead of the whole frame).

    python benchmarks/transfer_ablation.py --real ../shared/realdata/ut_interaction_set1 \\
        --recipe examples/transfer_recipe_cpu.yaml --out runs/ablation \\
        --variant tuned=examples/interaction_transfer.yaml --variant default=runs/default_dataset

A training-side change is a variant too: `--variant-recipe NAME=RECIPE` trains and scores that variant with
its own recipe (the same data under two names, two recipes: one row each).

The real dataset is never part of the project: pass its folder. Results go to OUT/ablation.md and .json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthact.atomic import write_text_atomic  # noqa: E402
from training.analysis.transfer import load_recipe, pretrained_checkpoint  # noqa: E402
from training.data.lists import load_video_list  # noqa: E402
from training.engine.checkpoint import load_checkpoint  # noqa: E402
from training.engine.loop import run_eval  # noqa: E402

# Evaluation-side choices, each changed alone from the recipe's.
EVAL_CHANGES = {
    "as trained": {},
    "whole clip alone": {"eval_spans": [1.0]},
    "centred spans 1, 0.75, 0.5": {"eval_spans": [1.0, 0.75, 0.5]},
    "2 s window from the start": {"whole_video": False, "clip_seconds": 2.0},
    "centre crop": {"frame_fit": "crop"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=Path, required=True)
    parser.add_argument("--recipe", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mapping", default=None, help="Class mapping (default: by name).")
    parser.add_argument("--variant", action="append", required=True, help="NAME=dataset folder, config or .pt")
    parser.add_argument("--variant-recipe", action="append", default=[],
                        help="NAME=RECIPE: this variant's own recipe instead of --recipe")
    args = parser.parse_args()
    console = Console(stderr=True)
    names = [spec.partition("=")[0] for spec in args.variant]
    own_recipes = {}
    for spec in args.variant_recipe:
        name, _, path = spec.partition("=")
        if name not in names:
            parser.error(f"--variant-recipe {spec}: no --variant named {name!r}")
        own_recipes[name] = Path(path)
    real = load_video_list(args.real, "train")
    rows = []
    for spec in args.variant:
        name, _, source = spec.partition("=")
        recipe = load_recipe(own_recipes.get(name, args.recipe))
        checkpoint = pretrained_checkpoint(Path(source), recipe, args.out / name, console)
        history = load_checkpoint(checkpoint).get("history", [])
        synthetic_val = history[-1]["val"]["top1"] if history else None
        row = {"variant": name, "source": source, "recipe": str(own_recipes.get(name, args.recipe)),
               "synthetic_val_top1": synthetic_val, "zero_shot": {}}
        for change, overrides in EVAL_CHANGES.items():
            summary = run_eval(checkpoint, None, "real", args.out / name / f"eval-{change.replace(' ', '_')}",
                               overrides, console=console, mapping=args.mapping or "names", videos=real)
            row["zero_shot"][change] = {"top1": summary["top1"], "per_class": summary["per_class"]}
        rows.append(row)
        console.print(f"{name}: synthetic val {synthetic_val}, zero-shot "
                      + ", ".join(f"{k} {v['top1']:.3f}" for k, v in row["zero_shot"].items()), markup=False)
    lines = ["| variant | synthetic val top-1 | " + " | ".join(f"real zero-shot, {c}" for c in EVAL_CHANGES) + " |",
             "|---|---|" + "---|" * len(EVAL_CHANGES)]
    for row in rows:
        val = "-" if row["synthetic_val_top1"] is None else f"{row['synthetic_val_top1']:.1%}"
        lines.append(f"| {row['variant']} | {val} | "
                     + " | ".join(f"{row['zero_shot'][c]['top1']:.1%}" for c in EVAL_CHANGES) + " |")
    write_text_atomic(args.out / "ablation.json", json.dumps(rows, indent=1))
    write_text_atomic(args.out / "ablation.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
