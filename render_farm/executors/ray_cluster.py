"""The Ray executor: jobs as Ray tasks on a Ray cluster, writing to a shared output folder.

Every node needs synthact installed (the `render` and `cluster` extras) and the output
and body folders at the same paths (a shared filesystem). A task that raises is retried
(`retry_exceptions`), and so is a task whose worker or node dies (`max_retries`); each
Ray worker process renders at most `recycle_after` jobs before Ray replaces it (`max_calls`),
which bounds its memory. The run's watchdog is not applied to Ray tasks: Ray reports no
progress inside a task (see docs/farm.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from render_farm.core.plan.jobs import Job
from render_farm.dataset.folder import OutputFolder
from render_farm.executors.base import JobOutcome, OnDone, RunLimits, one_line
from render_farm.executors.cores import claim_core
from render_farm.executors.local import WORKERS_PER_GPU
from synthact.errors import SynthActError

WAIT_TIMEOUT_S = 5.0  # ray.wait returns at least this often, so Ctrl-C is handled promptly
STOP_WAIT_S = 30.0  # after Ctrl-C: how long to wait for the cancelled tasks to end
# Tasks submitted ahead of the free CPUs: enough to keep every worker busy while results come back,
# never one task per job of a 150k plan (each pending task holds memory in the driver and the GCS).
IN_FLIGHT_PER_CPU = 2
MIN_IN_FLIGHT = 4


def _render_task(job_json: str, out_dir: str, body_dir: str, device: str = "cpu", blender: str | None = None) -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    claim_core()  # before bpy loads in this worker process (see executors/cores.py)
    import ray

    if blender is None:
        from render_farm.blender.worker import render_job
    else:  # a Blender application beside this Ray worker process, kept until it exits (max_calls)
        from functools import partial

        from render_farm.executors.blender_process import render_job_in_blender

        render_job = partial(render_job_in_blender, blender)
    # Ray assigns GPUs by id; Blender is pinned to that one through its device preferences.
    gpu_ids = ray.get_gpu_ids() if device != "cpu" else []
    slot = int(gpu_ids[0]) if gpu_ids else 0
    return render_job(Job.model_validate_json(job_json), Path(out_dir), Path(body_dir), 1, device, slot)


def gpu_share(device: str) -> float:
    """The GPU a task asks Ray for: none on the CPU, else a fraction, so that WORKERS_PER_GPU tasks
    share each GPU (one task alone leaves it idle most of the time; see executors/local.py)."""
    return 0 if device == "cpu" else 1 / WORKERS_PER_GPU


class RayExecutor:
    """Jobs as Ray tasks (one CPU each, and a share of a GPU with a GPU device) on the cluster at `address`
    (or RAY_ADDRESS), at most IN_FLIGHT_PER_CPU tasks per cluster CPU submitted at a time."""

    def __init__(self, address: str | None = None, device: str = "cpu", blender: str | None = None):
        self.address, self.device, self.blender = address, device, blender  # blender: its path on every node

    def run(self, jobs: Iterable[Job], total: int, folder: OutputFolder, body_dir: Path, limits: RunLimits,
            on_done: OnDone) -> None:
        if total <= 0:
            return
        try:
            import ray
        except ImportError:
            raise SynthActError("--backend ray needs the cluster extra: pip install 'synthact[cluster]'") from None
        address = self.address or os.environ.get("RAY_ADDRESS")
        if not address:
            raise SynthActError("--backend ray: no cluster address (give --address HOST:PORT or set RAY_ADDRESS)")
        try:
            ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SynthActError(f"--address {address}: cannot connect to a Ray cluster ({one_line(exc)})") from None
        refs: dict = {}
        try:
            if gpu_share(self.device) and not ray.cluster_resources().get("GPU", 0):
                # Tasks that ask for a GPU would wait forever for a node that has one.
                raise SynthActError(f"--device {self.device}: the Ray cluster at {address} has no GPU (no node "
                                    "declares one); use --device cpu, or start nodes with GPUs")
            remote = ray.remote(num_cpus=1, num_gpus=gpu_share(self.device), max_retries=limits.retries,
                                retry_exceptions=True, max_calls=limits.recycle_after)(_render_task)
            in_flight = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
            source = iter(jobs)
            exhausted = False
            while True:
                while not exhausted and len(refs) < in_flight:
                    job = next(source, None)
                    if job is None:
                        exhausted = True
                    else:
                        refs[remote.remote(job.model_dump_json(), str(folder.root), str(body_dir), self.device,
                                           self.blender)] = job.job_id
                if not refs:
                    break
                done, _ = ray.wait(list(refs), num_returns=1, timeout=WAIT_TIMEOUT_S)
                for ref in done:
                    job_id = refs.pop(ref)
                    try:
                        outcome = JobOutcome(job_id, True, stats=ray.get(ref))
                    except Exception as exc:  # retries exhausted: the job failed, the others go on
                        outcome = JobOutcome(job_id, False, one_line(exc))
                    on_done(outcome)
        except KeyboardInterrupt:
            # Force-cancelling kills the workers mid-clip; wait (bounded) until they are gone, so nothing
            # writes into the output folder after this returns.
            for ref in refs:
                ray.cancel(ref, force=True)
            if refs:
                ray.wait(list(refs), num_returns=len(refs), timeout=STOP_WAIT_S)
            raise
        finally:
            ray.shutdown()
