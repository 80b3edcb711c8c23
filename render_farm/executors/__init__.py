"""How jobs reach workers: one contract (`base`), the local process pool (`local`), Ray (`ray_cluster`),
Slurm job arrays (`slurm`), and a Blender application beside each worker (`blender_process`, `--blender`). No scene
knowledge."""

from __future__ import annotations

from render_farm.executors.base import EXECUTORS, Executor
from synthact.errors import SynthActError


def executor_for(name: str, **options) -> Executor:
    """The executor called `name` (local, ray, slurm), built with its own options."""
    if name == "local":
        from render_farm.executors.local import LocalExecutor

        return LocalExecutor(**options)
    if name == "ray":
        from render_farm.executors.ray_cluster import RayExecutor

        return RayExecutor(**options)
    if name == "slurm":
        from render_farm.executors.slurm import SlurmExecutor

        return SlurmExecutor(**options)
    raise SynthActError(f"--backend: unknown backend {name!r} (choose {', '.join(EXECUTORS)})")
