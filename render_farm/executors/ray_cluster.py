"""The Ray executor: jobs as Ray tasks on a Ray cluster, writing to a shared output folder.

Every node needs synthact installed (the `render` and `cluster` extras) and the output
and body folders at the same paths (a shared filesystem). A task that raises is retried
(`retry_exceptions`), and so is a task whose worker or node dies (`max_retries`); each
Ray worker process renders at most RECYCLE_AFTER jobs before Ray replaces it, which
bounds its memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from render_farm.core.errors import SynthActError
from render_farm.core.jobs import Job
from render_farm.executors.cores import claim_core
from render_farm.executors.local import RECYCLE_AFTER, RETRIES, WORKERS_PER_GPU, JobOutcome

WAIT_TIMEOUT_S = 5.0  # ray.wait returns at least this often, so Ctrl-C is handled promptly
STOP_WAIT_S = 30.0  # after Ctrl-C: how long to wait for the cancelled tasks to end


def _render_task(job_json: str, out_dir: str, body_dir: str, device: str = "cpu") -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    claim_core()  # before bpy loads in this worker process (see executors/cores.py)
    import ray

    from render_farm.blender.worker import render_job

    # Ray assigns GPUs by id; Blender is pinned to that one through its device preferences.
    gpu_ids = ray.get_gpu_ids() if device != "cpu" else []
    slot = int(gpu_ids[0]) if gpu_ids else 0
    return render_job(Job.model_validate_json(job_json), Path(out_dir), Path(body_dir), 1, device, slot)


def gpu_share(device: str) -> float:
    """The GPU a task asks Ray for: none on the CPU, else a fraction, so that WORKERS_PER_GPU tasks
    share each GPU (one task alone leaves it idle most of the time; see executors/local.py)."""
    return 0 if device == "cpu" else 1 / WORKERS_PER_GPU


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc  # RayTaskError wraps the job's own exception
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}"


def run_ray(
    jobs: list[Job], out_dir: Path, body_dir: Path, address: str | None, on_done: Callable[[JobOutcome], None],
    retries: int = RETRIES, recycle_after: int = RECYCLE_AFTER, device: str = "cpu",
) -> list[JobOutcome]:
    """Render jobs as Ray tasks (one CPU each, and a share of a GPU with a GPU device) on the cluster at
    `address` (or RAY_ADDRESS)."""
    try:
        import ray
    except ImportError:
        raise SynthActError("--backend ray needs Ray: pip install 'synthact[cluster]'") from None
    address = address or os.environ.get("RAY_ADDRESS")
    if not address:
        raise SynthActError("--backend ray: no cluster address (give --address HOST:PORT or set RAY_ADDRESS)")
    try:
        ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise SynthActError(f"--address {address}: cannot connect to a Ray cluster ({_one_line(exc)})") from None
    outcomes: list[JobOutcome] = []
    pending: list = []
    try:
        if gpu_share(device) and not ray.cluster_resources().get("GPU", 0):
            # Tasks that ask for a GPU would wait forever for a node that has one.
            raise SynthActError(f"--device {device}: the Ray cluster at {address} has no GPU (no node declares "
                                "one); use --device cpu, or start nodes with GPUs")
        remote = ray.remote(num_cpus=1, num_gpus=gpu_share(device), max_retries=retries,
                            retry_exceptions=True, max_calls=recycle_after)(_render_task)
        refs = {remote.remote(j.model_dump_json(), str(out_dir), str(body_dir), device): j.job_id for j in jobs}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=WAIT_TIMEOUT_S)
            for ref in done:
                try:
                    outcome = JobOutcome(refs[ref], True, stats=ray.get(ref))
                except Exception as exc:  # retries exhausted: the job failed, the others go on
                    outcome = JobOutcome(refs[ref], False, _one_line(exc))
                outcomes.append(outcome)
                on_done(outcome)
    except KeyboardInterrupt:
        # Force-cancelling kills the workers mid-clip; wait (bounded) until they are gone, so nothing
        # writes into the output folder after this returns.
        for ref in pending:
            ray.cancel(ref, force=True)
        if pending:
            ray.wait(pending, num_returns=len(pending), timeout=STOP_WAIT_S)
        raise
    finally:
        ray.shutdown()
    return outcomes
