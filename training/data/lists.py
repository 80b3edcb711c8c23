"""Video lists in the layouts datasets are published in, parsed into (path, class index) items.

Supported layouts (see `load_video_list`):
- `synthact`: a SynthAct output folder (classes.txt, train.txt / val.txt of `relative/path.mp4 index`);
- `ucf101`: classInd.txt (`1 ApplyEyeMakeup`), trainlist0N.txt (`Class/v.avi 1`), testlist0N.txt (`Class/v.avi`);
- `hmdb51`: per-class `<class>_test_splitN.txt` of `video.avi 0|1|2` (1 train, 2 test, 0 unused);
- `folders`: one folder per class of videos;
- `list`: lines of `path label` or `path;label` (label an index or a class name);
- `csv`: a CSV file with a header holding `path` and `label` columns.
Every error names the file and the line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov")
Layout = Literal["synthact", "ucf101", "hmdb51", "folders", "list", "csv"]


class DatasetListError(ValueError):
    pass


@dataclass(frozen=True)
class VideoList:
    items: list[tuple[Path, int]]
    classes: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.items)


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetListError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetListError(f"{path}: not a list file (not UTF-8 text: byte {exc.start})") from None
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _check_exists(video: Path, path: Path, n: int) -> Path:
    if not video.is_file():
        raise DatasetListError(f"{path}:{n}: video {video} does not exist")
    return video


def read_classes(path: Path) -> list[str]:
    classes = [line for _, line in _lines(path)]
    if len(set(classes)) != len(classes):
        raise DatasetListError(f"{path}: a class name is listed twice")
    return classes


def _label(token: str, classes: list[str] | None, path: Path, n: int) -> int:
    token = token.strip()
    if token.lstrip("-").isdigit():
        idx = int(token)
        if idx < 0 or (classes is not None and idx >= len(classes)):
            raise DatasetListError(f"{path}:{n}: class index {idx} is not in the class index "
                                   f"({len(classes) if classes else 0} classes)")
        return idx
    if classes is None or token not in classes:
        raise DatasetListError(f"{path}:{n}: class {token!r} is not in the class index")
    return classes.index(token)


def parse_list(path: Path, root: Path, classes: list[str] | None) -> list[tuple[Path, int]]:
    """Lines `path label` or `path;label`; the label is an index or a class name."""
    items = []
    for n, line in _lines(path):
        if ";" in line:
            parts = line.rsplit(";", 1)
        else:
            parts = line.rsplit(None, 1)
        if len(parts) != 2 or not parts[0].strip():
            raise DatasetListError(f"{path}:{n}: malformed line {line!r} (expected 'path label')")
        video = _check_exists(root / parts[0].strip(), path, n)
        items.append((video, _label(parts[1], classes, path, n)))
    return items


def parse_csv(path: Path, root: Path, classes: list[str] | None) -> list[tuple[Path, int]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise DatasetListError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DatasetListError(f"{path}: not a CSV list (not UTF-8 text: byte {exc.start})") from None
    if not rows:
        raise DatasetListError(f"{path}: empty CSV")
    header = [h.strip().lower() for h in rows[0]]
    if "path" not in header or "label" not in header:
        raise DatasetListError(f"{path}:1: CSV header must name 'path' and 'label' columns, got {rows[0]}")
    pi, li = header.index("path"), header.index("label")
    items = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(pi, li):
            raise DatasetListError(f"{path}:{n}: malformed line (expected {len(header)} columns)")
        items.append((_check_exists(root / row[pi].strip(), path, n), _label(row[li], classes, path, n)))
    return items


def _names_in_list(path: Path) -> list[str] | None:
    """Class names used as labels in a list without a class index (None when labels are indices)."""
    labels = []
    for _, line in _lines(path):
        parts = line.rsplit(";", 1) if ";" in line else line.rsplit(None, 1)
        if len(parts) == 2:
            labels.append(parts[1].strip())
    if all(t.isdigit() for t in labels):
        return None
    return sorted(set(labels))


def synthact_list(root: Path, split: str) -> VideoList:
    classes = read_classes(root / "classes.txt")
    path = root / f"{split}.txt"
    return VideoList(parse_list(path, root, classes), classes, str(path))


def ucf101_list(root: Path, split: str, fold: int = 1, videos: Path | None = None) -> VideoList:
    """root holds classInd.txt and the fold lists; videos (default: root) holds Class/v.avi."""
    videos = videos or root
    ind = root / "classInd.txt"
    classes: list[str] = []
    for n, line in _lines(ind):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) != len(classes) + 1:
            raise DatasetListError(f"{ind}:{n}: malformed line {line!r} (expected '<n> <ClassName>' numbered from 1)")
        classes.append(parts[1])
    name = f"trainlist{fold:02d}.txt" if split == "train" else f"testlist{fold:02d}.txt"
    path = root / name
    items = []
    for n, line in _lines(path):
        parts = line.split()
        video_rel = parts[0]
        cls = video_rel.split("/")[0]
        if cls not in classes:
            raise DatasetListError(f"{path}:{n}: class {cls!r} is not in {ind.name}")
        idx = classes.index(cls)
        if len(parts) == 2 and (not parts[1].isdigit() or int(parts[1]) - 1 != idx):
            raise DatasetListError(f"{path}:{n}: label {parts[1]!r} does not match class {cls!r}")
        if len(parts) > 2:
            raise DatasetListError(f"{path}:{n}: malformed line {line!r}")
        items.append((_check_exists(videos / video_rel, path, n), idx))
    return VideoList(items, classes, str(path))


def hmdb51_list(root: Path, split: str, fold: int = 1, videos: Path | None = None) -> VideoList:
    """root holds `<class>_test_split<fold>.txt`; videos (default: root) holds `<class>/<video>`."""
    videos = videos or root
    files = sorted(root.glob(f"*_test_split{fold}.txt"))
    if not files:
        raise DatasetListError(f"{root}: no *_test_split{fold}.txt files")
    classes = [f.name[: -len(f"_test_split{fold}.txt")] for f in files]
    wanted = "1" if split == "train" else "2"
    items = []
    for idx, (cls, path) in enumerate(zip(classes, files, strict=True)):
        for n, line in _lines(path):
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise DatasetListError(f"{path}:{n}: malformed line {line!r} (expected 'video 0|1|2')")
            if parts[1] == wanted:
                items.append((_check_exists(videos / cls / parts[0], path, n), idx))
    return VideoList(items, classes, str(root))


def folders_list(root: Path) -> VideoList:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not classes:
        raise DatasetListError(f"{root}: no class folders")
    items = [
        (v, i) for i, c in enumerate(classes) for v in sorted((root / c).iterdir())
        if v.suffix.lower() in VIDEO_SUFFIXES
    ]
    return VideoList(items, classes, str(root))


def detect_layout(path: Path) -> Layout:
    if path.is_file():
        return "csv" if path.suffix.lower() == ".csv" else "list"
    if (path / "classes.txt").is_file():
        return "synthact"
    if (path / "classInd.txt").is_file():
        return "ucf101"
    if list(path.glob("*_test_split1.txt")):
        return "hmdb51"
    if path.is_dir():
        return "folders"
    raise DatasetListError(f"{path}: not found")


def load_video_list(
    path: str | Path, split: str = "train", layout: Layout | None = None, fold: int = 1,
    classes_file: str | Path | None = None, videos: str | Path | None = None,
) -> VideoList:
    """A dataset's videos and classes for one split, from its published layout."""
    path = Path(path)
    layout = layout or detect_layout(path)
    vids = Path(videos) if videos else None
    if layout == "synthact":
        return synthact_list(path, split)
    if layout == "ucf101":
        return ucf101_list(path, split, fold, vids)
    if layout == "hmdb51":
        return hmdb51_list(path, split, fold, vids)
    if layout == "folders":
        return folders_list(path)
    classes = read_classes(Path(classes_file)) if classes_file else None
    root = vids or path.parent
    if classes is None and layout == "list":
        classes = _names_in_list(path)
    items = parse_csv(path, root, classes) if layout == "csv" else parse_list(path, root, classes)
    if classes is None:
        classes = [str(i) for i in range(max((i for _, i in items), default=-1) + 1)]
    return VideoList(items, classes, str(path))
