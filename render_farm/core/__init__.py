"""The farm's plain-Python core (numpy, pydantic, yaml; never bpy or torch), one sub-package per step of the
data path: `template` (the action template model and its checks), `plan` (config, distributions, seeds, jobs,
the planner), `scene` (a job resolved into per-frame motion, cameras and props: the clip spec), `label` (the
clip label), and `geometry` (skeleton, quaternions, kinematics, cameras, colours) under all of them."""
