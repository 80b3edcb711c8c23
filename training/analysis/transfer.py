"""The transfer study: does a model trained on synthetic clips recognise the same actions in real video?

One command runs, over every fold of a real dataset's protocol, with the same recipe and seeds:
- zero-shot: the synthetic model scored on the real test clips through the class mapping (never a real clip seen);
- linear probe: a new classifier (rows started from the mapped synthetic classes) on the frozen synthetic backbone;
- fine-tuning from the synthetic checkpoint (head rows from the mapping);
- the same fine-tuning recipe from scratch (random weights).
Folds are the dataset's groups left out one at a time (or k folds of groups: `training.data.folds`), or the
published splits of UCF101 and HMDB51. Every finished run leaves `result.json`; a killed study resumes from
them and from each run's `last.pt`.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console

from synthact.atomic import replaced_on_success, write_text_atomic
from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_yaml_mapping
from training.config import TrainConfig, TrainConfigError
from training.data.folds import grouped_folds
from training.data.lists import VideoList, detect_layout, load_video_list
from training.data.mapping import BY_NAME
from training.engine.checkpoint import load_checkpoint
from training.engine.loop import CHECKPOINT, run_eval, train
from training.engine.metrics import summarize, write_confusion

Arm = Literal["zero_shot", "linear_probe", "finetune", "scratch"]
ARMS: tuple[Arm, ...] = ("zero_shot", "linear_probe", "finetune", "scratch")
ARM_TITLES = {"zero_shot": "zero-shot (synthetic only)", "linear_probe": "linear probe on synthetic features",
              "finetune": "fine-tuned from synthetic", "scratch": "same recipe from scratch"}
RESULT = "result.json"


class TransferError(SynthActError):
    pass


class TransferRecipe(BaseModel):
    """Training settings of each stage: `common` applies to all, the others add to it (TrainConfig fields)."""

    model_config = ConfigDict(extra="forbid")

    common: dict = Field(default_factory=dict)
    pretrain: dict = Field(default_factory=dict)
    linear_probe: dict = Field(default_factory=dict)
    finetune: dict = Field(default_factory=dict, description="Fine-tuning from synthetic and from scratch alike.")
    arms: list[Arm] = Field(default_factory=lambda: list(ARMS))


def load_recipe(path: Path | None) -> TransferRecipe:
    if path is None:
        return TransferRecipe()
    data = load_yaml_mapping(path, "recipe", TrainConfigError)
    try:
        return TransferRecipe.model_validate(data)
    except ValidationError as exc:
        raise TransferError(describe_validation_error(path, exc)) from None


def _config(recipe: TransferRecipe, stage: str, **fields) -> TrainConfig:
    data = {**recipe.common, **getattr(recipe, stage if stage != "scratch" else "finetune"), **fields}
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise TransferError(describe_validation_error(f"recipe ({stage})", exc)) from None


def real_folds(real: Path, groups: str | None, folds: int | None) -> list[tuple[str, VideoList, VideoList]]:
    """(fold name, training list, test list) for the real dataset's protocol."""
    if groups is not None:
        videos = load_video_list(real, "train")
        return [(f"fold{f.index}", f.train, f.test) for f in grouped_folds(videos, groups, folds)]
    layout = detect_layout(real)
    if layout not in ("ucf101", "hmdb51"):
        raise TransferError(f"{real}: a {layout!r} dataset has no published splits: give --groups "
                            "(a group pattern such as ut_interaction, ucf101, kth, or a regular expression)")
    out = []
    for k in range(1, (folds or 3) + 1):
        train_list = load_video_list(real, "train", fold=k)
        test_list = load_video_list(real, "test", fold=k)
        out.append((f"split{k}", train_list, test_list))
    return out


def _done(run: Path) -> dict | None:
    path = run / RESULT
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None  # a result cut short is run again


# Evaluation-only settings: where the recipe's common section sets one, it holds for every arm's scoring, even
# of a checkpoint given as it is (pretrained before, or with other settings).
EVAL_FIELDS = ("eval_spans", "eval_clips", "eval_crops")


def eval_overrides(recipe: TransferRecipe, real: Path) -> dict:
    """The evaluation settings the recipe's common section sets, checked as TrainConfig fields of a run on
    the real set."""
    cfg = _config(recipe, "common", data=real)
    return {k: getattr(cfg, k) for k in EVAL_FIELDS if k in recipe.common}


def _evaluate(checkpoint: Path, test: VideoList, run: Path, console: Console, mapping: str | None,
              overrides: dict) -> dict:
    summary = run_eval(checkpoint, None, "test", run / "eval", overrides, console=console, mapping=mapping,
                       videos=test)
    result = {k: summary[k] for k in ("top1", "mean_class_accuracy", "clips", "per_class", "confusion")}
    result["classes"] = test.classes
    write_text_atomic(run / RESULT, json.dumps(result, indent=1))
    return result


def pretrained_checkpoint(synthetic: Path, recipe: TransferRecipe, out: Path, console: Console) -> Path:
    """A checkpoint given as it is; a SynthAct dataset pretrained on; a dataset config rendered, then pretrained on."""
    if synthetic.suffix == ".pt":
        if not synthetic.is_file():
            raise TransferError(f"{synthetic}: checkpoint not found")
        return synthetic
    if synthetic.suffix.lower() in (".yaml", ".yml"):
        data = out / "synthetic"
        console.print(f"rendering {synthetic} into {data}", highlight=False, markup=False)
        # A subprocess: training never imports the render farm; `synthact render` resumes by itself.
        cmd = [sys.executable, "-m", "render_farm.cli", "render", str(synthetic), "--out", str(data)]
        if subprocess.run(cmd, check=False).returncode != 0:
            raise TransferError(f"{synthetic}: rendering the synthetic dataset failed (see above)")
        synthetic = data
    if not (synthetic / "classes.txt").is_file():
        raise TransferError(f"{synthetic}: not a SynthAct dataset (no classes.txt), a config or a checkpoint")
    run = out / "pretrain"
    cfg = _config(recipe, "pretrain", mode="pretrain", data=synthetic, out=run)
    console.print(f"pretraining on {synthetic} -> {run}", highlight=False, markup=False)
    train(cfg, resume=True, console=console)
    return run / CHECKPOINT


def _run_arm(arm: Arm, checkpoint: Path, real: Path, train_list: VideoList, test: VideoList, run: Path,
             recipe: TransferRecipe, mapping: str | None, console: Console, scoring: dict) -> dict:
    mapping = mapping or BY_NAME
    if arm == "zero_shot":
        return _evaluate(checkpoint, test, run, console, mapping, scoring)
    fields = {"data": real, "out": run}
    if arm == "scratch":
        cfg = _config(recipe, arm, mode="pretrain", **fields)
    else:
        mode = "linear-probe" if arm == "linear_probe" else "finetune"
        cfg = _config(recipe, arm, mode=mode, checkpoint=checkpoint, mapping=mapping, **fields)
    train(cfg, resume=True, console=console, lists=(train_list, test))
    return _evaluate(run / CHECKPOINT, test, run, console, None, scoring)


def run_transfer(synthetic: Path, real: Path, out: Path, mapping: str | None, groups: str | None,
                 folds: int | None, recipe_path: Path | None, console: Console | None = None) -> dict:
    """Run (or resume) the study; writes OUT/transfer.json, OUT/transfer.md and OUT/transfer.png."""
    console = console or Console(stderr=True)
    recipe = load_recipe(recipe_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    splits = real_folds(Path(real), groups, folds)  # bad groups or layouts fail before any training
    scoring = eval_overrides(recipe, Path(real))  # and so do bad evaluation settings
    checkpoint = pretrained_checkpoint(Path(synthetic), recipe, out, console)
    synthetic_classes = list(load_checkpoint(checkpoint).get("classes", []))
    results: dict[str, dict[str, dict]] = {arm: {} for arm in recipe.arms}
    for name, train_list, test in splits:
        for arm in recipe.arms:
            run = out / "folds" / name / arm
            result = _done(run)
            if result is None:
                if arm != "zero_shot" and run.exists() and not (run / CHECKPOINT).is_file():
                    shutil.rmtree(run)  # killed before its first epoch ended: nothing to resume
                console.print(f"{name}: {ARM_TITLES[arm]} ({len(train_list)} training, {len(test)} test clips)",
                              highlight=False, markup=False)
                result = _run_arm(arm, checkpoint, Path(real), train_list, test, run, recipe, mapping, console,
                                  scoring)
            results[arm][name] = result
            console.print(f"{name}: {arm} top-1 {result['top1']:.3f}", highlight=False, markup=False)
    table = summarize_study(results, splits[0][2].classes, synthetic_classes, checkpoint, real, mapping)
    write_text_atomic(out / "transfer.json", json.dumps(table, indent=1))
    write_text_atomic(out / "transfer.md", markdown_table(table))
    plot_study(table, out / "transfer.png")
    for arm in table["arms"]:
        confusion = torch.tensor(table["arms"][arm]["confusion"])
        write_confusion(confusion, table["classes"], out / f"confusion_{arm}.csv", out / f"confusion_{arm}.png")
    console.print(f"transfer study -> {out / 'transfer.md'}", highlight=False, markup=False)
    return table


def _mean_std(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, std


def summarize_study(results: dict[str, dict[str, dict]], classes: list[str], synthetic_classes: list[str],
                    checkpoint: Path, real: Path, mapping: str | None) -> dict:
    arms = {}
    for arm, per_fold in results.items():
        top1 = [r["top1"] for r in per_fold.values()]
        confusion = torch.zeros(len(classes), len(classes), dtype=torch.long)
        for r in per_fold.values():
            confusion += torch.tensor(r["confusion"], dtype=torch.long)
        pooled = summarize(confusion, 0, classes)
        mean, std = _mean_std(top1)
        arms[arm] = {"title": ARM_TITLES[arm], "top1_mean": mean, "top1_std": std,
                     "top1_per_fold": {k: r["top1"] for k, r in per_fold.items()},
                     "per_class": pooled["per_class"], "pooled_top1": pooled["top1"],
                     "confusion": confusion.tolist()}
    return {"real": str(real), "checkpoint": str(checkpoint), "mapping": mapping or "names",
            "classes": classes, "synthetic_classes": synthetic_classes, "folds": len(next(iter(results.values()))),
            "chance": 1.0 / len(classes), "arms": arms}


def markdown_table(table: dict) -> str:
    lines = [f"# Transfer to {table['real']}", "",
             f"{table['folds']} folds, {len(table['classes'])} classes (chance {table['chance']:.1%}); "
             f"synthetic checkpoint `{table['checkpoint']}`, mapping `{table['mapping']}`.", "",
             "| | top-1 mean | std over folds | per fold |", "|---|---|---|---|"]
    for a in table["arms"].values():
        folds = " ".join(f"{v:.2f}" for v in a["top1_per_fold"].values())
        lines.append(f"| {a['title']} | {a['top1_mean']:.1%} | {a['top1_std']:.1%} | {folds} |")
    lines += ["", "Per-class accuracy (all folds' test clips pooled):", "",
              "| class | " + " | ".join(table["arms"]) + " |", "|---|" + "---|" * len(table["arms"])]
    for c in table["classes"]:
        cells = []
        for a in table["arms"].values():
            v = a["per_class"].get(c)
            cells.append("-" if v is None else f"{v:.0%}")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_study(table: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(table["arms"])
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(arms), 3.6))
    for i, arm in enumerate(arms):
        a = table["arms"][arm]
        ax.bar(i, a["top1_mean"], yerr=a["top1_std"], capsize=4, color="#4c72b0", alpha=0.8)
        folds = list(a["top1_per_fold"].values())
        ax.scatter([i] * len(folds), folds, color="black", s=8, zorder=3)
    ax.axhline(table["chance"], color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(range(len(arms)), [arm.replace("_", " ") for arm in arms])
    ax.set_ylim(0, 1)
    ax.set_ylabel("top-1 on real test folds")
    ax.legend(loc="upper left")
    fig.tight_layout()
    try:
        with replaced_on_success(path, binary=True) as f:
            fig.savefig(f, format="png", dpi=110)
    finally:
        plt.close(fig)
