"""Reading user files (text, YAML) with one-line errors that name the file (and the line, for YAML syntax)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from synthact.errors import SynthActError

MAX_USER_FILE_BYTES = 64 * 1024 * 1024  # no config or template comes near; a larger file is refused unread
MIB = 1024 * 1024


def size_limit_text(n: int) -> str:
    """A size limit as the docs state it: 32 MiB, 256 KiB."""
    if n % MIB == 0:
        return f"{n // MIB} MiB"
    return f"{n // 1024} KiB" if n % 1024 == 0 else f"{n} bytes"


def read_user_text(path: str | Path, what: str, error: type[SynthActError] = SynthActError,
                   max_bytes: int = MAX_USER_FILE_BYTES) -> str:
    """A user file's text; `error` names the file when it is missing, unreadable, larger than `max_bytes`
    (checked before reading) or not UTF-8 text (a .blend given as a config, say)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path}: the {what} file is {size / MIB:.1f} MiB, over the limit of "
                        f"{size_limit_text(max_bytes)}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what} file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a {what} file (not UTF-8 text: byte {exc.start} is 0x{data[exc.start]:02x})") \
            from None


def too_deep(path: str | Path, what: str, error: type[SynthActError] = SynthActError) -> SynthActError:
    return error(f"{path}: the {what} is nested too deeply to be one (RecursionError while parsing)")


def load_json_file(path: str | Path, what: str, error: type[SynthActError] = SynthActError,
                   max_bytes: int = MAX_USER_FILE_BYTES) -> object:
    """The JSON value in a user file; `error` names the file (one line) when it is missing, over
    `max_bytes`, not UTF-8, not JSON (with its line) or nested too deeply."""
    text = read_user_text(path, what, error, max_bytes)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise too_deep(path, what, error) from None


def load_yaml_mapping(path: str | Path, what: str = "config", error: type[SynthActError] = SynthActError,
                      max_bytes: int = MAX_USER_FILE_BYTES) -> dict:
    """The YAML mapping in `path`; `error` is raised (one line) when it is missing, over `max_bytes`,
    malformed, not a mapping or gives a key twice."""
    path = Path(path)
    text = read_user_text(path, what, error, max_bytes)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as exc:
        raise error(f"{path}: {exc}") from None
    except RecursionError:
        raise too_deep(path, what, error) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: the {what} must be a YAML mapping of fields, got {type(data).__name__}")
    return data


class _DuplicateKey(Exception):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's own rule: the keys of a mapping are unique. PyYAML keeps the last of two silently, so a
    second `seed:` further down a config would win without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` may be overridden by design
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: SafeLoader's own error names it
                break
            if first is not None:
                raise _DuplicateKey(f"key {key!r} is given twice (lines {first} and {line}); keep one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)
