"""`synthact train ...`: thin; torch is imported only inside the commands."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from synthact.errors import SynthActError

app = typer.Typer(help="Train and evaluate video models on rendered or real datasets.", no_args_is_help=True)
console = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Training config (YAML).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Dataset folder or list file.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="small, x3d_xs, x3d_s, x3d_m, slow_r50, r2plus1d_r50.")]
EpochsOpt = Annotated[int | None, typer.Option("--epochs", min=1)]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Run folder (checkpoints, metrics).")]
BatchOpt = Annotated[int | None, typer.Option("--batch-size", min=1)]
LrOpt = Annotated[float | None, typer.Option("--lr")]
CkptOpt = Annotated[Path | None, typer.Option("--checkpoint", help="Weights to start from / evaluate.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override any config field: key=value.")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue from OUT/last.pt if it exists.")]
DeviceOpt = Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda.")]
MappingOpt = Annotated[str | None, typer.Option(
    "--mapping", help="Class mapping from the data's classes to the checkpoint's: a CSV, a library mapping "
                      "(ucf101, hmdb51, kinetics_400, ntu_rgbd_120, ut_interaction, kth) or 'names'.")]


def _fail(message: str, code: int = 2) -> None:
    # Messages carry user text (paths) and pip extras: never read them as rich markup.
    console.print(f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# What the `train` extra brings; a render node may be installed without it.
TRAIN_MODULES = ("torch", "torchvision", "pytorchvideo.data", "av")


@app.callback()
def _needs_the_train_extra() -> None:
    """Before any training command: one line naming what is missing, never a traceback mid-command."""
    for module in TRAIN_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            _fail(f"synthact train needs the train extra ({(exc.name or module).split('.')[0]} is not installed): "
                  "pip install -e '.[train]' in a checkout, or pip install 'synthact[train]'")


def _train(mode: str, config, data, model, epochs, out, batch_size, lr, checkpoint, sets, resume, device,
           mapping=None) -> None:
    from training.config import build_config
    from training.engine.loop import train

    try:
        cfg = build_config(config, {"mode": mode, "data": data, "model": model, "epochs": epochs, "out": out,
                                    "batch_size": batch_size, "lr": lr, "checkpoint": checkpoint,
                                    "device": device, "mapping": mapping}, sets)
        train(cfg, resume=resume, console=console)
    except SynthActError as exc:
        _fail(str(exc))
    except ValueError as exc:  # dataset lists, models
        _fail(str(exc))


@app.command()
def pretrain(config: ConfigOpt = None, data: DataOpt = None, model: ModelOpt = None, epochs: EpochsOpt = None,
             out: OutOpt = None, batch_size: BatchOpt = None, lr: LrOpt = None, set_: SetOpt = None,
             resume: ResumeOpt = False, device: DeviceOpt = None) -> None:
    """Train from scratch (e.g. on a synthetic dataset)."""
    _train("pretrain", config, data, model, epochs, out, batch_size, lr, None, set_, resume, device)


@app.command()
def finetune(config: ConfigOpt = None, data: DataOpt = None, checkpoint: CkptOpt = None, model: ModelOpt = None,
             epochs: EpochsOpt = None, out: OutOpt = None, batch_size: BatchOpt = None, lr: LrOpt = None,
             set_: SetOpt = None, resume: ResumeOpt = False, device: DeviceOpt = None,
             mapping: MappingOpt = None) -> None:
    """Train all weights from a checkpoint, with a new classifier for the dataset's classes (its rows from
    the mapped classes' rows with --mapping, else random)."""
    _train("finetune", config, data, model, epochs, out, batch_size, lr, checkpoint, set_, resume, device, mapping)


@app.command("linear-probe")
def linear_probe(config: ConfigOpt = None, data: DataOpt = None, checkpoint: CkptOpt = None,
                 model: ModelOpt = None, epochs: EpochsOpt = None, out: OutOpt = None, batch_size: BatchOpt = None,
                 lr: LrOpt = None, set_: SetOpt = None, resume: ResumeOpt = False, device: DeviceOpt = None,
                 mapping: MappingOpt = None) -> None:
    """Train only a new classifier on a frozen backbone (its rows from the mapped classes' with --mapping)."""
    _train("linear-probe", config, data, model, epochs, out, batch_size, lr, checkpoint, set_, resume, device,
           mapping)


@app.command("eval")
def eval_(checkpoint: Annotated[Path, typer.Option("--checkpoint", help="Checkpoint to evaluate.")],
          data: DataOpt = None, split: Annotated[str, typer.Option(help="Split to evaluate.")] = "val",
          out: OutOpt = None, clips: Annotated[int | None, typer.Option(min=1, help="Clips per video.")] = None,
          crops: Annotated[int | None, typer.Option(min=1, help="Crops per clip.")] = None,
          spans: Annotated[str | None, typer.Option(
              help="whole_video: centred shares of each video to score, averaged, e.g. 1,0.75,0.5.")] = None,
          device: DeviceOpt = None, mapping: MappingOpt = None) -> None:
    """Top-1, top-5, mean class accuracy, per-class accuracy and the confusion matrix. With --mapping, a model
    of other classes is scored on the data's classes only (zero-shot)."""
    from training.config import MAX_EVAL_SPANS
    from training.engine.loop import run_eval

    eval_spans = None
    if spans is not None:
        try:
            eval_spans = [float(x) for x in spans.split(",")]
        except ValueError:
            eval_spans = []
        if not 1 <= len(eval_spans) <= MAX_EVAL_SPANS or not all(0 < x <= 1 for x in eval_spans):
            _fail(f"--spans {spans}: 1 to {MAX_EVAL_SPANS} comma-separated shares of the video, each above 0 and "
                  "at most 1")
    try:
        run_eval(checkpoint, data, split, out, {"eval_clips": clips, "eval_crops": crops, "eval_spans": eval_spans,
                                                "device": device}, console=console, mapping=mapping)
    except (SynthActError, ValueError) as exc:
        _fail(str(exc))


@app.command()
def bias(checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A model trained on the dataset.")],
         data: DataOpt = None, split: Annotated[str, typer.Option(help="Split to measure on.")] = "val",
         out: OutOpt = None,
         image_weights: Annotated[Path | None, typer.Option(help="Local ResNet-18 weights for the "
                                                                    "single-frame linear probe.")] = None) -> None:
    """Scene/object bias: accuracy from static appearance vs real motion, per dataset and class."""
    from training.analysis.bias import bias_analysis

    try:
        bias_analysis(checkpoint, data, split, out, image_weights, console=console)
    except (SynthActError, ValueError) as exc:
        _fail(str(exc))


@app.command()
def transfer(
    synthetic: Annotated[Path, typer.Option(help="A synthetic checkpoint (.pt), a SynthAct dataset folder, or a "
                                                 "dataset config (.yaml) to render first.")],
    real: Annotated[Path, typer.Option(help="The real dataset (any layout train accepts).")],
    out: Annotated[Path, typer.Option(help="Study folder (runs, transfer.json, transfer.md, transfer.png).")],
    mapping: MappingOpt = None,
    groups: Annotated[str | None, typer.Option(
        help="Group pattern for grouped folds: ut_interaction, ucf101, kth, or a regular expression on file "
             "names. Without it, UCF101 and HMDB51 use their published splits.")] = None,
    folds: Annotated[int | None, typer.Option(min=2, help="Folds of whole groups (default: leave one group "
                                                          "out; splits: 3).")] = None,
    recipe: Annotated[Path | None, typer.Option(help="Recipe YAML (common, pretrain, linear_probe, finetune, "
                                                     "arms): docs/training.md.")] = None,
) -> None:
    """Zero-shot, linear probe, and fine-tuning from synthetic against from scratch, over every fold; resumable."""
    from training.analysis.transfer import run_transfer

    try:
        run_transfer(synthetic, real, out, mapping, groups, folds, recipe, console=console)
    except (SynthActError, ValueError) as exc:
        _fail(str(exc))
