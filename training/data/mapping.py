"""Class mappings between a real dataset and the synthetic classes a model was trained on.

A mapping is a CSV with a header: a `template_id` column (the SynthAct class) and one column naming the
real dataset's class (`real_class`, or the one column whose name ends in `_class`). The library ships
mappings to NTU RGB+D 120, Kinetics-400, UCF101, HMDB51, UT-Interaction and KTH
(`render_farm/templates/library/mappings/`); a mapping is named by its file or by that library name.
Several SynthAct classes may map to one real class (their probabilities add up); one SynthAct class mapped
to two real classes is ambiguous and refused, since no model output could tell those apart.
With no mapping, real class names must be SynthAct ids themselves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

# The library's mapping files, found without importing render_farm (training never imports it).
LIBRARY_MAPPINGS = Path(__file__).resolve().parents[2] / "render_farm" / "templates" / "library" / "mappings"


class ClassMappingError(ValueError):
    pass


@dataclass(frozen=True)
class ClassMapping:
    """Each real class (in the real dataset's order) with the synthetic class indices it maps to."""

    real_classes: list[str]
    synthetic_classes: list[str]
    sources: list[list[int]]

    def restrict(self, logits: torch.Tensor) -> torch.Tensor:
        """Synthetic logits (B, S) -> real logits (B, R): the log of the summed probabilities of each real
        class's synthetic classes, so that other synthetic classes take no probability."""
        return torch.stack([logits[:, idx].logsumexp(dim=1) for idx in self.sources], dim=1)

    def head_from(self, head: nn.Linear) -> nn.Linear:
        """A classifier for the real classes whose rows start from the mapped synthetic rows (their mean
        where several synthetic classes map to one real class)."""
        if head.out_features != len(self.synthetic_classes):
            raise ClassMappingError(f"the classifier has {head.out_features} outputs, the mapping "
                                    f"{len(self.synthetic_classes)} synthetic classes")
        new = nn.Linear(head.in_features, len(self.real_classes), bias=head.bias is not None)
        with torch.no_grad():
            for r, idx in enumerate(self.sources):
                new.weight[r] = head.weight[idx].mean(dim=0)
                if head.bias is not None:
                    new.bias[r] = head.bias[idx].mean()
        return new


class RestrictedModel(nn.Module):
    """A synthetic-class model scored on the real classes only (zero-shot evaluation)."""

    def __init__(self, model: nn.Module, mapping: ClassMapping):
        super().__init__()
        self.model = model
        self.mapping = mapping

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mapping.restrict(self.model(x))


def mapping_file(name: str | Path) -> Path:
    """A mapping CSV path, or a library mapping's name (`ucf101`, `ut_interaction`, ...)."""
    path = Path(name)
    if path.suffix.lower() == ".csv" or path.exists():
        if not path.is_file():
            raise ClassMappingError(f"{path}: mapping file not found")
        return path
    library = LIBRARY_MAPPINGS / f"{name}.csv"
    if not library.is_file():
        known = ", ".join(sorted(p.stem for p in LIBRARY_MAPPINGS.glob("*.csv")))
        raise ClassMappingError(f"mapping {name!r}: neither a file nor a library mapping ({known})")
    return library


def read_mapping_pairs(path: Path) -> list[tuple[str, str, int]]:
    """(real class, synthetic id, line) rows of a mapping CSV."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as exc:
        raise ClassMappingError(f"{path}: not a mapping CSV (not UTF-8 text: byte {exc.start})") from None
    if not rows:
        raise ClassMappingError(f"{path}: empty mapping file")
    header = [h.strip().lower() for h in rows[0]]
    real_cols = [i for i, h in enumerate(header) if h == "real_class"] or [
        i for i, h in enumerate(header) if h.endswith("_class")]
    if "template_id" not in header or len(real_cols) != 1:
        raise ClassMappingError(f"{path}:1: the header must name 'template_id' and one real class column "
                                f"('real_class' or one '*_class'), got {rows[0]}")
    si, ri = header.index("template_id"), real_cols[0]
    pairs = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(si, ri) or not row[si].strip() or not row[ri].strip():
            raise ClassMappingError(f"{path}:{n}: malformed line (expected {len(header)} columns)")
        pairs.append((row[ri].strip(), row[si].strip(), n))
    return pairs


# The mapping that pairs classes of the same name.
BY_NAME = "names"


def build_mapping(real_classes: list[str], synthetic_classes: list[str],
                  mapping: str | Path | None = None) -> ClassMapping:
    """Map every real class to synthetic class indices; unmapped or ambiguous classes are one-line errors.
    No mapping (or "names"): each real class maps to the synthetic class of the same name."""
    where = "the real class names (mapped by name)"
    if mapping is None or str(mapping) == BY_NAME:
        pairs = [(c, c, 0) for c in real_classes if c in synthetic_classes]
    else:
        path = mapping_file(mapping)
        where = str(path)
        pairs = read_mapping_pairs(path)
    index = {c: i for i, c in enumerate(synthetic_classes)}
    sources: dict[str, list[int]] = {c: [] for c in real_classes}
    owner: dict[str, str] = {}
    for real, synthetic, line in pairs:
        if real not in sources:
            continue  # a class of the real dataset that this split or subset does not hold
        if synthetic not in index:
            continue  # the model was not trained on this synthetic class: it cannot vote for the real one
        if synthetic in owner and owner[synthetic] != real:
            raise ClassMappingError(f"{where}:{line}: class {synthetic!r} is mapped to both {owner[synthetic]!r} "
                                    f"and {real!r} (ambiguous)")
        owner[synthetic] = real
        if index[synthetic] not in sources[real]:
            sources[real].append(index[synthetic])
    for real, idx in sources.items():
        if not idx:
            raise ClassMappingError(f"real class {real!r} maps to no class of the model in {where}")
    return ClassMapping(list(real_classes), list(synthetic_classes), [sources[c] for c in real_classes])
