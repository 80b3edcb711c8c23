"""The clip label: what a clip shows, how it was made, and per-frame ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from render_farm.core.geometry.camera import SENSOR_WIDTH_MM
from render_farm.core.geometry.skeleton import JOINT_NAMES
from render_farm.core.label.integrity import ClipFile
from render_farm.core.plan.jobs import Job
from render_farm.core.scene.spec import ClipSpec, project

LABEL_SCHEMA_VERSION = 4  # 2 added partner and props, 3 clip_file, 4 each job field once; older labels still read

# The job's fields the label keeps at its top level (label field, job field): `params` leaves them out, so
# each is stored once. Schema 3 and older labels repeat them in `params`; label_job reads both.
TOP_LEVEL_JOB_FIELDS = (("clip", "clip_path"), ("job_id", "job_id"), ("plan_id", "plan_id"),
                        ("action_id", "action_id"), ("action_label", "action_label"),
                        ("class_index", "class_index"), ("template_id", "template_id"), ("seed", "seed"),
                        ("split", "split"), ("passes", "passes_path"))
TOP_LEVEL_RENDER_FIELDS = (("fps", "fps"), ("frame_count", "frames"), ("width", "width"), ("height", "height"))


class CameraLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intrinsics: list[list[float]] = Field(description="3x3 K in pixels, OpenCV convention.")
    world_to_camera: list[list[list[float]]] = Field(
        description="Per frame, 4x4 world -> camera (OpenCV: x right, y down, z forward)."
    )
    focal_mm: float
    sensor_width_mm: float
    location: list[list[float]] = Field(description="Per frame, camera centre in world coordinates (Z up).")
    tracking: bool = Field(description="Whether the camera follows a travelling actor (else it is static).")


class ActorLabel(BaseModel):
    """Per-frame ground truth of the second actor of a two-person clip (the first's is the label's own)."""

    model_config = ConfigDict(extra="forbid")
    joints_3d: list[list[list[float]]]
    joints_2d: list[list[list[float]]]
    joint_visibility: list[list[bool]]
    keypoints_3d: list[list[list[float]]]
    keypoints_2d: list[list[list[float]]]
    keypoint_visibility: list[list[bool]]
    bbox: list[list[float]] = Field(description="Per frame: x_min, y_min, x_max, y_max in pixels.")


class PropLabel(BaseModel):
    """A hand-held prop, per frame."""

    model_config = ConfigDict(extra="forbid")
    name: str
    shape: str
    size_m: list[float]
    color: list[float] = Field(description="Linear RGB.")
    positions_3d: list[list[float]] = Field(description="Per frame, world x, y, z of its centre.")
    positions_2d: list[list[float]] = Field(description="Per frame, pixel x, y of its centre.")
    rotations: list[list[float]] = Field(description="Per frame, world orientation (w, x, y, z).")
    held_by: list[int] = Field(description="Per frame: 0 the actor, 1 the partner, -1 nobody.")


class ClipLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1, 2, 3, 4] = LABEL_SCHEMA_VERSION
    clip: str = Field(description="Clip path relative to the dataset folder.")
    clip_file: ClipFile | None = Field(None, description="The clip's bytes as written: size, mtime and digest "
                                       "(a resume compares them with the clip; older labels lack them).")
    job_id: str
    plan_id: str | None = Field(None, description="The identity of the plan the clip was rendered from.")
    action_id: str
    action_label: str
    class_index: int
    template_id: str
    seed: int
    split: Literal["train", "val"]
    fps: float
    frame_count: int
    width: int
    height: int
    params: dict = Field(description="The rest of the job: every randomized parameter used (label_job gives "
                         "the whole job back).")
    camera: CameraLabel
    joint_names: list[str]
    joints_3d: list[list[list[float]]] = Field(description="Per frame, per joint: world x, y, z in metres.")
    joints_2d: list[list[list[float]]] = Field(description="Per frame, per joint: pixel x, y (top-left origin).")
    joint_visibility: list[list[bool]] = Field(
        description="Per frame, per joint: in frame and not hidden behind another surface.")
    keypoint_names: list[str] = Field(description="COCO-17 keypoints in COCO order, then anny's feet keypoints.")
    keypoints_3d: list[list[list[float]]] = Field(description="Per frame, per keypoint: world x, y, z in metres.")
    keypoints_2d: list[list[list[float]]] = Field(description="Per frame, per keypoint: pixel x, y.")
    keypoint_visibility: list[list[bool]] = Field(description="Per frame, per keypoint visibility.")
    bbox: list[list[float]] = Field(
        description="Per frame, the actor's box: x_min, y_min, x_max, y_max in pixels, clipped to the image.")
    source_frames: list[float] = Field(description="Template frame (fractional) shown at each clip frame.")
    passes: str | None = Field(None, description="The .npz of per-frame mask and/or depth, relative to the dataset.")
    render_stats: dict[str, float] = Field(default_factory=dict, description="Timings in seconds.")
    render_device: str = Field("CPU", description="What rendered the frames: CPU, or OPTIX:<name> / CUDA:<name>.")
    renderer: str = Field("", description="Which Blender rendered the frames: its version, and the application's "
                          "path or '(bpy module)'. Empty in labels written before 2026-12-03.")
    partner: ActorLabel | None = Field(None, description="The second actor of a two-person action.")
    props: list[PropLabel] = Field(default_factory=list, description="Hand-held props.")


def _r(a, nd: int = 5):
    return [[round(float(x), nd) for x in row] for row in a]


def _actor_label(spec: ClipSpec, joints: np.ndarray, truths: list) -> ActorLabel:
    kp3d = np.stack([t.keypoints_3d for t in truths])
    return ActorLabel(
        joints_3d=[_r(f) for f in joints],
        joints_2d=[_r(f, 3) for f in project(spec.cameras, joints)],
        joint_visibility=[t.joint_visible.tolist() for t in truths],
        keypoints_3d=[_r(f) for f in kp3d],
        keypoints_2d=[_r(f, 3) for f in project(spec.cameras, kp3d)],
        keypoint_visibility=[t.keypoint_visible.tolist() for t in truths],
        bbox=[[round(x, 3) for x in t.bbox] for t in truths],
    )


def _prop_labels(job: Job, spec: ClipSpec) -> list[PropLabel]:
    return [PropLabel(
        name=p.name, shape=p.shape, size_m=list(p.size_m), color=list(job.prop_colors.get(p.name, (0.5, 0.5, 0.5))),
        positions_3d=_r(p.positions), positions_2d=_r(project(spec.cameras, p.positions[:, None])[:, 0], 3),
        rotations=_r(p.rotations, 6), held_by=[int(h) for h in p.held_by],
    ) for p in spec.props]


def make_label(job: Job, spec: ClipSpec, render_stats: dict[str, float] | None, truths: list,
               keypoint_names: tuple[str, ...], render_device: str = "CPU",
               partner_truths: list | None = None, clip_file: ClipFile | None = None, renderer: str = "") -> ClipLabel:
    """The label of a rendered clip: the ClipSpec's joints and cameras, plus per-frame truths
    measured in the rendered scene (blender.annotate.FrameTruth), the partner's too."""
    pose = spec.cameras[0]
    kp3d = np.stack([t.keypoints_3d for t in truths])
    kp2d = project(spec.cameras, kp3d)
    partner = None
    if spec.partner is not None:
        if partner_truths is None:
            raise ValueError("a two-person clip needs the partner's per-frame truths")
        partner = _actor_label(spec, spec.partner.joints_3d, partner_truths)
    return ClipLabel(
        clip=job.clip_path,
        clip_file=clip_file,
        job_id=job.job_id,
        plan_id=job.plan_id,
        action_id=job.action_id,
        action_label=job.action_label,
        class_index=job.class_index,
        template_id=job.template_id,
        seed=job.seed,
        split=job.split,
        fps=job.render.fps,
        frame_count=job.render.frames,
        width=job.render.width,
        height=job.render.height,
        params=label_params(job),
        camera=CameraLabel(
            intrinsics=_r(pose.intrinsics),
            world_to_camera=[_r(cam.world_to_camera, 6) for cam in spec.cameras],
            focal_mm=pose.focal_mm,
            sensor_width_mm=SENSOR_WIDTH_MM,
            location=_r([cam.location for cam in spec.cameras], 6),
            tracking=spec.tracking,
        ),
        joint_names=list(JOINT_NAMES),
        joints_3d=[_r(f) for f in spec.joints_3d],
        joints_2d=[_r(f, 3) for f in spec.joints_2d],
        joint_visibility=[t.joint_visible.tolist() for t in truths],
        keypoint_names=list(keypoint_names),
        keypoints_3d=[_r(f) for f in kp3d],
        keypoints_2d=[_r(f, 3) for f in kp2d],
        keypoint_visibility=[t.keypoint_visible.tolist() for t in truths],
        bbox=[[round(x, 3) for x in t.bbox] for t in truths],
        source_frames=[round(float(x), 4) for x in spec.source_frames],
        passes=job.passes_path,
        render_stats=render_stats or {},
        render_device=render_device,
        renderer=renderer,
        partner=partner,
        props=_prop_labels(job, spec),
    )


def label_params(job: Job) -> dict:
    """The job as a label's `params`: everything but the fields the label holds at its top level."""
    return job.model_dump(mode="json", exclude={
        **{field: True for _, field in TOP_LEVEL_JOB_FIELDS},
        "render": {field for _, field in TOP_LEVEL_RENDER_FIELDS},
    })


def label_job(label: ClipLabel | dict) -> Job:
    """The job a label was rendered from, from a label of any schema (older ones repeat the top-level fields
    in `params`; from schema 4 they are stored once, at the top)."""
    data = label.model_dump(mode="json") if isinstance(label, ClipLabel) else label
    job = dict(data["params"])
    if data.get("schema_version", 1) >= 4:
        job.update({field: data.get(key) for key, field in TOP_LEVEL_JOB_FIELDS})
        job["render"] = {**job["render"], **{field: data[key] for key, field in TOP_LEVEL_RENDER_FIELDS}}
    return Job.model_validate(job)


def load_label(path: Path) -> ClipLabel:
    return ClipLabel.model_validate_json(Path(path).read_text(encoding="utf-8"))
