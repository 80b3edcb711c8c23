"""Classification metrics from a confusion matrix and top-k hit counts (both reducible across ranks)."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from synthact.atomic import replaced_on_success


class Tally:
    def __init__(self, num_classes: int):
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
        self.top5 = torch.zeros(1, dtype=torch.long)

    def update(self, scores: torch.Tensor, labels: torch.Tensor) -> None:
        pred = scores.argmax(dim=1)
        k = self.confusion.shape[0]
        self.confusion += torch.bincount(labels * k + pred, minlength=k * k).view(k, k).cpu()
        topk = scores.topk(min(5, scores.shape[1]), dim=1).indices
        self.top5 += (topk == labels[:, None]).any(dim=1).sum().cpu()

    def as_tensor(self) -> torch.Tensor:
        return torch.cat([self.confusion.flatten(), self.top5])

    def load_tensor(self, t: torch.Tensor) -> None:
        k = self.confusion.shape[0]
        self.confusion = t[: k * k].view(k, k).clone()
        self.top5 = t[k * k:].clone()


def summarize(confusion: torch.Tensor, top5_hits: int, classes: list[str]) -> dict:
    total = int(confusion.sum())
    correct = int(confusion.diag().sum())
    per_class_n = confusion.sum(dim=1)
    per_class = {
        c: (float(confusion[i, i] / per_class_n[i]) if per_class_n[i] > 0 else None) for i, c in enumerate(classes)
    }
    present = [v for v in per_class.values() if v is not None]
    return {
        "clips": total,
        "top1": correct / total if total else 0.0,
        "top5": top5_hits / total if total else 0.0,
        "mean_class_accuracy": sum(present) / len(present) if present else 0.0,
        "per_class": per_class,
    }


def write_confusion(confusion: torch.Tensor, classes: list[str], csv_path: Path, png_path: Path) -> None:
    with replaced_on_success(csv_path) as f:
        w = csv.writer(f)
        w.writerow(["true\\predicted", *classes])
        for i, c in enumerate(classes):
            w.writerow([c, *confusion[i].tolist()])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(classes)
    fig, ax = plt.subplots(figsize=(max(4, 0.4 * k + 2), max(4, 0.4 * k + 2)))
    ax.imshow(confusion.numpy(), cmap="Blues")
    ax.set_xticks(range(k), classes, rotation=90, fontsize=7)
    ax.set_yticks(range(k), classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            if confusion[i, j]:
                ax.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=6)
    fig.tight_layout()
    with replaced_on_success(png_path, binary=True) as f:
        fig.savefig(f, dpi=100, format="png")
    plt.close(fig)


def plot_learning_curve(records: list[dict], png_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in records]
    fig, ax1 = plt.subplots(figsize=(6, 4))
    ax1.plot(epochs, [r["train_loss"] for r in records], "o-", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax2 = ax1.twinx()
    ax2.plot(epochs, [r["val"]["top1"] for r in records], "s-", color="tab:orange", label="val top-1")
    ax2.set_ylabel("val top-1")
    ax2.set_ylim(0, 1)
    fig.legend(loc="upper right")
    fig.tight_layout()
    with replaced_on_success(png_path, binary=True) as f:
        fig.savefig(f, dpi=100, format="png")
    plt.close(fig)
