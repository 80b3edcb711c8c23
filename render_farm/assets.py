"""The assets manifest: every third-party or authored asset SynthAct uses, with licence and checksum.

Locations are symbolic so the manifest holds on any machine (render_farm.asset_check explains them and finds
each asset by its id for the farm: `vetted_path`). A folder's checksum is the SHA-256 of the sorted lines
`relative/path sha256` of its files. User folders a config names (background images, clothing textures) are
listed beside the manifest's assets by `inventory`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from render_farm.asset_check import REPO_ROOT, locate, sha256_of
from synthact.errors import SynthActError, describe_validation_error
from synthact.yamlio import load_yaml_mapping

if TYPE_CHECKING:
    from render_farm.core.plan.config import DatasetConfig

MANIFEST = REPO_ROOT / "assets_manifest.yaml"


class Asset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    source: str
    location: str
    licence: str
    sha256: str | None = None
    other_sha256: list[str] = Field(default_factory=list, description="The same asset as other versions of its "
                                    "source ship it (an earlier export of an HDRI in older Blenders).")


class AssetsManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assets: list[Asset]

    def by_id(self) -> dict[str, Asset]:
        return {a.id: a for a in self.assets}


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
            target = locate(a.location)
        except SynthActError as exc:
            problems.append(f"{a.id}: {exc}")
            continue
        if not target.exists():
            problems.append(f"{a.id}: {target} does not exist")
        elif a.sha256 and sha256_of(target) not in (a.sha256, *a.other_sha256):
            problems.append(f"{a.id}: {target} does not match its sha256")
    return problems, len(manifest.assets)


class InventoryRow(BaseModel):
    """One asset a dataset may use: a manifest entry, or a folder of the user's images a config names."""

    id: str
    kind: str
    licence: str
    path: str
    files: int | None = None  # images in a user folder


def inventory(manifest_path: Path = MANIFEST, config: DatasetConfig | None = None) -> list[InventoryRow]:
    """What exists, where, under which licence: every asset of the manifest (located on this machine), then
    the image folders `config` names (background images, clothing textures), which are the user's to clear."""
    rows = []
    for a in load_manifest(manifest_path).assets:
        try:
            where = str(locate(a.location))
        except SynthActError as exc:
            where = f"({exc})"
        rows.append(InventoryRow(id=a.id, kind=a.kind, licence=a.licence, path=where))
    if config is not None:
        from render_farm.core.plan.config import image_files

        folders = [("background-images", d) for d in config.scene.background_dirs]
        folders += [("clothing-textures", d) for d in config.clothing.texture_dirs]
        for kind, folder in folders:
            rows.append(InventoryRow(id=f"user:{folder}", kind=kind, licence="supplied by the user (theirs to clear)",
                                     path=str(folder), files=len(image_files([folder]))))
    return rows


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
            new = sha256_of(locate(a.location))
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
        location = f"repo:{template.relative_to(REPO_ROOT.resolve()).as_posix()}"
        text = text.rstrip("\n") + (
            f"\n- id: {asset_id}\n  kind: action-template\n"
            "  source: authored in this repository by tools/families/\n"
            f"  location: {location}\n  licence: Apache-2.0 (this project)\n  sha256: {sha256_of(template)}\n")
        changed.append(asset_id)
    Path(path).write_text(text, encoding="utf-8")
    return changed
