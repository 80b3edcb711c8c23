"""Headless batch import: labelled mocap segments made into templates through this add-on's own operators
(add the rig, import and retarget the BVH with a joint map, cut the segment's frames, set the properties,
validate and export), as an artist would one by one. `synthact templates import-bvh` runs it with the bpy
module; it reads a JSON list of segments and imports nothing beyond what Blender ships:

    python -m blender_addon.batch_import SEGMENTS.json OUT_DIR --joint-map CMU [--map-file F]
        [--min-frames 12] [--max-skate 0.1]

A segment with a "performance" name is added to the template "template_id" already in OUT_DIR as another
performance of its class. Prints one JSON line per segment: {"row", "file", "template_id", "status":
"imported" | "skipped", "reason", "frames"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import bpy

from . import operators as addon_operators
from . import register, rules, unregister

FAMILY = "mocap"


def _clear() -> None:
    for obj in list(bpy.data.objects):
        bpy.data.objects.remove(obj)
    for action in list(bpy.data.actions):
        bpy.data.actions.remove(action)
    for armature in list(bpy.data.armatures):
        bpy.data.armatures.remove(armature)


def _reason(exc: RuntimeError) -> str:
    """The operator's own one-line report, without bpy's 'Error:' prefix; a map that finds no pelvis is an
    unmapped skeleton."""
    text = " ".join(str(exc).split())
    text = text.removeprefix("Error:").strip()
    if "no joint the map sends to 'pelvis'" in text:
        return f"unmapped skeleton: {text}"
    return text


def import_segment(segment: dict, out_dir: Path, joint_map: str, map_file: str, min_frames: int,
                   max_skate: float) -> dict:
    result = {"row": segment["row"], "file": segment["file"], "template_id": segment["template_id"],
              "status": "skipped", "reason": "", "frames": 0}
    _clear()
    bpy.ops.synthact.add_rig()
    rig = bpy.context.active_object
    # A segment cut out of its file ("bvh", render_farm/templates/bvh_cut.py) holds only its own frames.
    cut = segment.get("bvh") or ""
    try:
        bpy.ops.synthact.import_bvh(filepath=cut or segment["file"], joint_map=joint_map, map_file=map_file)
    except RuntimeError as exc:
        result["reason"] = _reason(exc)
        return result
    bpy.context.view_layer.objects.active = rig
    action = rig.animation_data.action
    first, last = (int(round(v)) for v in action.frame_range)
    if cut:
        start, end = first, last
        shown = (segment["start_frame"] or 1, (segment["start_frame"] or 1) + last - first)
    else:
        start, end = segment["start_frame"] or first, segment["end_frame"] or last
        shown = (start, end)
    if end > last:
        result["reason"] = f"end_frame {end} is past the file's last frame ({last})"
        return result
    frames = end - start + 1
    result["frames"] = frames
    if frames < min_frames:
        result["reason"] = f"too short: {frames} frames (at least {min_frames})"
        return result
    action.use_frame_range = True
    action.frame_start, action.frame_end = start, end
    props = action.synthact
    props.template_id, props.label, props.family = segment["template_id"], segment["label"], FAMILY
    props.description = f"{segment['label']} (mocap: {Path(segment['file']).name}, frames {shown[0]}-{shown[1]})"
    performance = segment.get("performance") or None  # a further performance of the class template_id
    props.loops = False
    try:
        *_, motion, _findings = addon_operators.collect(bpy.context)
    except addon_operators._Cancel as exc:
        result["reason"] = str(exc)
        return result
    slides = rules.foot_slides(motion)
    foot, (worst, a, b) = max(slides.items(), key=lambda kv: kv[1][0]) if slides else ("", (0.0, 0, 0))
    if worst > max_skate:
        result["reason"] = (f"foot skating: {foot} slides {worst:.2f} m while on the ground (frames {a}-{b}; "
                            f"the limit is {max_skate:g} m)")
        return result
    try:
        bpy.ops.synthact.validate()
        if performance:
            bpy.ops.synthact.export_template(directory=str(out_dir), as_performance=True,
                                             performance_name=performance)
        else:
            bpy.ops.synthact.export_template(directory=str(out_dir))
    except RuntimeError as exc:
        result["reason"] = _reason(exc)
        return result
    result["status"], result["reason"] = "imported", ""
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mocap_import")
    ap.add_argument("segments", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--joint-map", default="CMU", choices=["CMU", "MIXAMO", "CUSTOM"])
    ap.add_argument("--map-file", default="")
    ap.add_argument("--min-frames", type=int, default=12)
    ap.add_argument("--max-skate", type=float, default=0.1)
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    segments = json.loads(args.segments.read_text(encoding="utf-8"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    register()
    try:
        for segment in segments:
            result = import_segment(segment, args.out, args.joint_map, args.map_file, args.min_frames,
                                    args.max_skate)
            print(json.dumps(result), flush=True)
    finally:
        unregister()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
