"""The assets manifest: every third-party or authored asset SynthAct uses, with licence and checksum.

Locations are symbolic so the manifest holds on any machine:
- `repo:PATH`: a file in this repository;
- `python:PACKAGE/PATH`: a file or folder inside an installed Python package (found without importing it);
- `blender:PATH`: a file in the bpy module's datafiles folder.
A folder's checksum is the SHA-256 of the sorted lines `relative/path sha256` of its files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from render_farm.asset_check import sha256_of, verify_file
from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_yaml_mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = REPO_ROOT / "assets_manifest.yaml"


class Asset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    source: str
    location: str
    licence: str
    sha256: str | None = None


class AssetsManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assets: list[Asset]

    def by_id(self) -> dict[str, Asset]:
        return {a.id: a for a in self.assets}


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SynthActError(f"Python package {name!r} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


def blender_datafiles() -> Path:
    root = package_dir("bpy")
    found = sorted(root.glob("*/datafiles"))
    if not found:
        raise SynthActError(f"{root}: no datafiles folder in the bpy module")
    return found[-1]


def resolve(location: str) -> Path:
    scheme, _, rest = location.partition(":")
    if scheme == "repo":
        return REPO_ROOT / rest
    if scheme == "python":
        package, _, sub = rest.partition("/")
        return package_dir(package) / sub
    if scheme == "blender":
        return blender_datafiles() / rest
    raise SynthActError(f"unknown asset location scheme in {location!r}")


def load_manifest(path: Path) -> AssetsManifest:
    data = load_yaml_mapping(path, "assets manifest")
    try:
        return AssetsManifest.model_validate(data)
    except ValidationError as exc:
        raise SynthActError(describe_validation_error(path, exc)) from None


def check_assets(path: Path) -> tuple[list[str], int]:
    """Problems (missing files, checksum mismatches) and the number of assets checked."""
    manifest = load_manifest(path)
    problems = []
    for a in manifest.assets:
        try:
            target = resolve(a.location)
        except SynthActError as exc:
            problems.append(f"{a.id}: {exc}")
            continue
        if not target.exists():
            problems.append(f"{a.id}: {target} does not exist")
        elif a.sha256 and sha256_of(target) != a.sha256:
            problems.append(f"{a.id}: {target} does not match its sha256")
    return problems, len(manifest.assets)


def vetted_entries(manifest_path: Path = MANIFEST) -> dict[str, dict]:
    """Asset id -> {"sha256", "source"}: what asset_check.verify_file checks a file against."""
    return {a.id: {"sha256": a.sha256, "source": a.source} for a in load_manifest(manifest_path).assets}


def verify_asset(asset_id: str, path: Path, manifest_path: Path = MANIFEST) -> Path:
    """The file at `path`, checked against its entry in the manifest at `manifest_path` (asset_check.verify_file)."""
    entry = vetted_entries(manifest_path).get(asset_id)
    if entry is None:
        raise SynthActError(f"{manifest_path}: no entry for asset {asset_id!r}")
    return verify_file(asset_id, path, entry, manifest_path.name)


def refresh_repo_checksums(path: Path) -> list[str]:
    """Recompute the checksums of assets authored in this repository (`repo:` locations) in place.

    Third-party entries are left alone: their checksum is what was vetted, and a change there is a
    problem for `check_assets` to report, not something to paper over.
    """
    text = Path(path).read_text(encoding="utf-8")
    manifest = load_manifest(path)
    changed = []
    for a in manifest.assets:
        if a.location.startswith("repo:") and a.sha256:
            new = sha256_of(resolve(a.location))
            if new != a.sha256:
                text = text.replace(a.sha256, new)
                changed.append(a.id)
    # Built-in templates authored since the manifest was last written get an entry of their own.
    from render_farm.templates import BUILTIN_DIR

    known = {a.id for a in manifest.assets}
    for template in sorted(BUILTIN_DIR.glob("*.json")):
        asset_id = f"template-{template.stem}"
        if asset_id in known:
            continue
        location = f"repo:{template.relative_to(resolve('repo:.').resolve()).as_posix()}"
        text = text.rstrip("\n") + (
            f"\n- id: {asset_id}\n  kind: action-template\n"
            "  source: authored in this repository by tools/families/\n"
            f"  location: {location}\n  licence: Apache-2.0 (this project)\n  sha256: {sha256_of(template)}\n")
        changed.append(asset_id)
    Path(path).write_text(text, encoding="utf-8")
    return changed
