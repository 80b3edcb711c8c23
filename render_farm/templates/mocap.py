"""Labelled mocap as template segments (plain Python): which part of which BVH file becomes which template.

Two ways to label a folder of BVH files:
- a CSV with the header `file,start_frame,end_frame,label`: one template per row, the file's frames
  start_frame..end_frame (inclusive, counted from 1 as Blender shows them); empty frames mean the whole file;
- a CMU-style descriptions file: one line per file, `<file name without .bvh> <description>` (tab or
  spaces between), the whole file labelled with its description.
A row that cannot be imported is reported with its reason and the rest go on
(`synthact templates import-bvh`, blender_addon/batch_import.py). A segment may also become another
performance of an existing class (`--add-to CLASS`, or `--by-label` where its label names a class).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from synthact.errors import SynthActError
from synthact.yamlio import load_json_file

CSV_COLUMNS = ("file", "start_frame", "end_frame", "label")


class MocapLabelsError(SynthActError):
    pass


MAX_JOINT_MAP_BYTES = 1024 * 1024


def check_joint_map_file(path: Path) -> None:
    """Read a joint map file as the add-on will, before Blender starts: a file that is too large, not UTF-8,
    not JSON, nested too deeply or not an object is one line here (the add-on checks its entries)."""
    data = load_json_file(path, "joint map", MocapLabelsError, MAX_JOINT_MAP_BYTES)
    if not isinstance(data, dict) or not isinstance(data.get("joints"), dict):
        raise MocapLabelsError(f'{path}: joints: missing (expected {{"joints": {{"SourceName": "canonical_name"}}}})')
    for source, target in data["joints"].items():
        if not isinstance(target, str):
            raise MocapLabelsError(f"{path}: joints.{source}: not a joint name ({type(target).__name__})")


@dataclass(frozen=True)
class Segment:
    row: int  # line of the labels file (the CSV header is line 1)
    file: str  # absolute path of the BVH file
    start_frame: int | None
    end_frame: int | None
    label: str
    template_id: str  # the template written, or the class the segment becomes a performance of
    performance: str = ""  # the performance's name, when the segment is added to an existing class
    bvh: str = ""  # the segment cut out as a BVH of its own (bvh_cut), which Blender reads instead of `file`

    def as_dict(self) -> dict:
        return asdict(self)


def as_performances(segments: list[Segment], classes: set[str], add_to: str | None) -> list[Segment]:
    """Segments that become further performances of existing classes: every segment of `add_to` when given,
    else each segment whose label (as an id) names one of `classes`; the rest stay new templates. A
    performance is named after its file and first frame."""
    out = []
    for s in segments:
        target = add_to or (slug(s.label) if slug(s.label) in classes else None)
        if target is None:
            out.append(s)
        else:
            name = slug(Path(s.file).stem)[:40] + (f"_{s.start_frame}" if s.start_frame is not None else "")
            out.append(replace(s, template_id=target, performance=name[:64]))
    return out


@dataclass(frozen=True)
class Skipped:
    row: int
    file: str
    reason: str


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s if s and s[0].isalpha() else f"m_{s}"


def _template_id(label: str, stem: str, start: int | None, taken: set[str]) -> str:
    base = slug(label)[:40]
    base = f"{base}_{slug(stem)[:16]}" + (f"_{start}" if start is not None else "")
    base = base[:60]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _frame(value: str, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        frame = int(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a whole frame number") from None
    if frame < 1:
        raise ValueError(f"{column} {frame} is before the first frame (1)")
    return frame


def _inside(folder: Path, name: str) -> Path:
    """The BVH file `name` names, which must be a file inside `folder` (after links are followed): a labels
    file is data, and data does not choose which files of the machine are opened."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ValueError("outside the BVH folder (files are named relative to it)")
    if not path.is_file():
        raise ValueError("file not found")
    return path


def _label(text: str) -> str:
    label = text.strip()
    if not label:
        raise ValueError("no label")
    bad = next((c for c in label if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise ValueError(f"the label has a control character (U+{ord(bad):04X})")
    return label


def read_labels_csv(folder: Path, labels: Path) -> tuple[list[Segment], list[Skipped]]:
    folder, taken = Path(folder), set()
    segments, skipped = [], []
    try:
        # utf-8-sig: a CSV saved by Excel starts with a byte-order mark, which is not part of the header
        with Path(labels).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise MocapLabelsError(f"{labels}: missing column(s) {', '.join(missing)} (the header must be "
                                       f"{','.join(CSV_COLUMNS)})")
            for row_number, row in enumerate(reader, start=2):
                name = (row["file"] or "").strip()
                path = folder / name
                try:
                    if not name:
                        raise ValueError("no file named")
                    if "\x00" in name:
                        raise ValueError("the file name has a NUL character")
                    path = _inside(folder, name)
                    start = _frame(row["start_frame"] or "", "start_frame")
                    end = _frame(row["end_frame"] or "", "end_frame")
                    if start is not None and end is not None and end < start:
                        raise ValueError(f"end_frame {end} is before start_frame {start}")
                    label = _label(row["label"] or "")
                except ValueError as exc:
                    skipped.append(Skipped(row_number, str(path).replace("\x00", "\\x00"), str(exc)))
                    continue
                segments.append(Segment(row_number, str(path), start, end, label,
                                        _template_id(label, path.stem, start, taken)))
    except OSError as exc:
        raise MocapLabelsError(f"{labels}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MocapLabelsError(f"{labels}: not a CSV file ({exc})") from None
    return segments, skipped


def read_descriptions(folder: Path, descriptions: Path) -> tuple[list[Segment], list[Skipped]]:
    folder, taken = Path(folder), set()
    segments, skipped = [], []
    try:
        lines = Path(descriptions).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise MocapLabelsError(f"{descriptions}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise MocapLabelsError(f"{descriptions}: not a text file ({exc})") from None
    for row_number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stem, _, description = line.strip().partition("\t") if "\t" in line else line.strip().partition(" ")
        path = folder / f"{stem.strip()}.bvh"
        try:
            if "\x00" in stem:
                raise ValueError("the file name has a NUL character")
            path = _inside(folder, f"{stem.strip()}.bvh")
            if not description.strip():
                raise ValueError("no description")
            label = _label(description)
        except ValueError as exc:
            skipped.append(Skipped(row_number, str(path).replace("\x00", "\\x00"), str(exc)))
            continue
        segments.append(Segment(row_number, str(path), None, None, label, _template_id(label, path.stem, None, taken)))
    return segments, skipped
