"""Render workers get cores of their own: equal shares in the local pool, one claimed core per Ray worker."""

from __future__ import annotations

import multiprocessing
import os
import signal

from render_farm.executors.cores import available_cores, core_sets_for


def test_local_workers_get_equal_shares_of_the_cores():
    cores = sorted(os.sched_getaffinity(0))
    assert available_cores() == len(cores)
    assert core_sets_for(1) == [cores]
    sets = core_sets_for(len(cores))
    assert sets == [[c] for c in cores]  # one core each, none shared
    assert core_sets_for(len(cores) + 1) is None  # more workers than cores: no pinning


def _claimant(lock_dir, pin: str, report, release) -> None:
    os.environ["SYNTHACT_PIN_CORES"] = pin
    from render_farm.executors.cores import claim_core

    core = claim_core(lock_dir)
    again = claim_core(lock_dir)  # a process keeps its first claim
    report.put((os.getpid(), core, again, sorted(os.sched_getaffinity(0))))
    release.wait(60)


def _start(ctx, n: int, lock_dir, pin: str = "1"):
    # One event each: a process killed while waiting on a shared event would block its set() forever.
    report, releases = ctx.Queue(), [ctx.Event() for _ in range(n)]
    procs = [ctx.Process(target=_claimant, args=(lock_dir, pin, report, r)) for r in releases]
    for proc in procs:
        proc.start()
    results = {}
    for _ in range(n):
        pid, core, again, affinity = report.get(timeout=60)
        results[pid] = (core, again, affinity)
    return procs, results, releases


def _stop(procs, releases) -> None:
    for proc, release in zip(procs, releases, strict=True):
        if proc.is_alive():
            release.set()
        proc.join(30)


def test_ray_workers_claim_distinct_cores_and_a_dead_workers_core_is_free_again(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    cores = sorted(os.sched_getaffinity(0))
    procs, results, release = _start(ctx, len(cores) + 1, tmp_path)
    try:
        claimed = [core for core, _, _ in results.values() if core is not None]
        assert sorted(claimed) == cores  # every core claimed once
        for core, again, affinity in results.values():
            if core is None:  # one worker more than cores: left unpinned
                assert affinity == cores
            else:
                assert again == core and affinity == [core]
        # A worker killed outright gives its core back (the OS drops its lock).
        victim = next(pid for pid, (core, _, _) in results.items() if core is not None)
        os.kill(victim, signal.SIGKILL)
        next(p for p in procs if p.pid == victim).join(30)
        late, late_results, late_release = _start(ctx, 1, tmp_path)
        assert [c for c, _, _ in late_results.values()] == [results[victim][0]]
        _stop(late, late_release)
    finally:
        _stop(procs, release)


def test_pinning_can_be_switched_off(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs, results, release = _start(ctx, 1, tmp_path, pin="0")
    _stop(procs, release)
    ((core, again, affinity),) = results.values()
    assert core is None and again is None and affinity == sorted(os.sched_getaffinity(0))


def test_default_workers_follow_the_gpus_with_a_gpu_device(monkeypatch):
    from render_farm.executors import local
    from render_farm.executors.local import WORKERS_PER_GPU, default_workers, visible_gpus
    from render_farm.executors.ray_cluster import gpu_share

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    assert visible_gpus() == 3
    monkeypatch.setattr(local, "available_cores", lambda: 16)  # a GPU machine's cores
    assert WORKERS_PER_GPU == 4 and default_workers("optix") == 12 and default_workers("auto") == 12
    monkeypatch.setattr(local, "available_cores", lambda: 2)  # never more workers than cores...
    assert default_workers("cuda") == 3  # ...but at least one per GPU
    assert default_workers("cpu") == 2
    assert gpu_share("cpu") == 0 and gpu_share("optix") * WORKERS_PER_GPU == 1  # Ray: 4 tasks share a GPU
    monkeypatch.undo()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,-1,0")  # CUDA stops at the first negative id
    assert visible_gpus() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # no GPU visible: the workers render on the CPU
    assert visible_gpus() == 0 and default_workers("cuda") == available_cores()
