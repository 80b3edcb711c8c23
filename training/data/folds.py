"""Grouped cross-validation: clips that belong together (a recording sequence, a subject, a scene) are never
split between training and test.

Groups come from the video paths through a regular expression (its named group `group`, else its first
group, else the whole match), for example UT-Interaction's sequence number in
`utinteraction_set1_<clip>_<sequence>_<class>.avi`: `_(?P<group>\\d+)_\\d+\\.avi$`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from training.data.lists import VideoList

# Named patterns for datasets whose file names carry the protocol's group.
GROUP_PATTERNS = {
    "ut_interaction": r"_(?P<group>\d+)_\d+\.[A-Za-z0-9]+$",  # the recording sequence
    "ucf101": r"_g(?P<group>\d+)_c\d+",  # v_Class_g08_c01.avi: the group of clips from one long video
    "kth": r"^person(?P<group>\d+)_",  # person01_boxing_d1_uncomp.avi: the subject
}


class FoldError(ValueError):
    pass


@dataclass(frozen=True)
class Fold:
    index: int  # 1-based
    test_groups: tuple[str, ...]
    train: VideoList
    test: VideoList


def group_pattern(pattern: str) -> re.Pattern:
    text = GROUP_PATTERNS.get(pattern, pattern)
    try:
        return re.compile(text)
    except re.error as exc:
        raise FoldError(f"groups: {pattern!r} is not a regular expression ({exc})") from None


def group_of(path: Path, pattern: re.Pattern) -> str:
    match = pattern.search(Path(path).name)
    if match is None:
        raise FoldError(f"{path}: the file name does not match the group pattern {pattern.pattern!r}")
    if "group" in pattern.groupindex:
        return match.group("group")
    return match.group(1) if pattern.groups else match.group(0)


def _group_key(name: str) -> tuple:
    # Sequences 1..10 sort as numbers, other names as text.
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def grouped_folds(videos: VideoList, groups: str, folds: int | None = None) -> list[Fold]:
    """Leave-one-group-out (folds None), or `folds` folds of whole groups dealt round-robin in sorted order.
    Every clip is a test clip in exactly one fold, and no group is on both sides of any fold."""
    pattern = group_pattern(groups)
    names = [group_of(path, pattern) for path, _ in videos.items]
    order = sorted(set(names), key=_group_key)
    if len(order) < 2:
        raise FoldError(f"{videos.source}: {len(order)} group(s) found by {pattern.pattern!r}; "
                        "cross-validation needs at least 2")
    k = len(order) if folds is None else folds
    if k < 2 or k > len(order):
        raise FoldError(f"folds: {k} folds of {len(order)} groups (choose 2 to {len(order)})")
    dealt = [tuple(order[i::k]) for i in range(k)]
    out = []
    for i, test_groups in enumerate(dealt, 1):
        held = set(test_groups)
        test = [item for item, g in zip(videos.items, names, strict=True) if g in held]
        train = [item for item, g in zip(videos.items, names, strict=True) if g not in held]
        label = f"{videos.source} fold {i} (test groups {', '.join(test_groups)})"
        out.append(Fold(i, test_groups, VideoList(train, videos.classes, label + " train"),
                        VideoList(test, videos.classes, label + " test")))
    return out
