"""The benchmark that defines "fast": SynthAct's farm against a fresh-process-per-clip baseline and
against the pure render time, side by side on one plan.

    python benchmarks/render_throughput.py [--clips-per-action 4] [--frames 32] [--samples 16] [--workers 2]

One plan (6 actions x 4 clips = 24 jobs by default, 224x224 x 32 frames, Cycles, the same
samples) is rendered both ways in alternating rounds (baseline then farm, farm then baseline,
...: a machine whose speed drifts favours neither), with the same number of parallel workers
and Blender threads per worker (the farm's share of the cores: one each on a 2-core machine with
2 workers); `--device optix|cuda|auto` renders both on the GPU (every worker shares GPU 0 on a
one-GPU machine, after one untimed warm-up frame that compiles the GPU kernels):

- baseline: a fresh Blender (bpy) process per clip that builds the scene with the farm's own
  code and writes PNG frames, then a separate ffmpeg run encodes them (H.264, the farm's
  settings) - how pipelines such as SURREAL work;
- farm: `synthact render` (the local pool: persistent workers, frames streamed to ffmpeg);
- limit: the sum of the frame render times Blender took in the farm run, divided by the workers.

Image quality: frames of the first two clips are compared (decoded) with a reference rendered at
8x the samples; the farm must be no worse than the baseline. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from video_quality import decode, psnr  # noqa: E402

ACTIONS = ["walk", "wave", "squat", "punch", "kick", "jumping_jacks"]
QUALITY_CLIPS, QUALITY_FRAMES = 2, 4


def encode_pngs(frames_dir: Path, out: Path, fps: float) -> None:
    from render_farm.video import GOP, ffmpeg_binary

    subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-y", "-framerate", str(fps), "-i",
                    str(frames_dir / "frame_%04d.png"), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18",
                    "-preset", "veryfast", "-g", str(GOP), "-bf", "0", "-threads", "1", str(out)], check=True)


def baseline_clip(job, out: Path, bodies: Path, work: Path, samples: int | None = None,
                  frames: int | None = None, device: str = "cpu", threads: int = 1) -> tuple[float, Path]:
    work.mkdir(parents=True, exist_ok=True)
    job_file = work / f"{job.job_id}.json"
    job_file.write_text(job.model_dump_json())
    frames_dir = work / f"{job.job_id}-{samples or 'base'}"
    cmd = [sys.executable, str(REPO / "benchmarks" / "baseline_clip.py"), str(job_file), str(out), str(bodies),
           str(frames_dir)]
    if samples:
        cmd += ["--samples", str(samples)]
    if frames:
        cmd += ["--frames", str(frames)]
    cmd += ["--device", device, "--threads", str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    render_s = json.loads(done.stdout.strip().splitlines()[-1])["render_s"]
    clip = work / f"{job.job_id}-{samples or 'base'}.mp4"
    encode_pngs(frames_dir, clip, job.render.fps)
    shutil.rmtree(frames_dir)
    return render_s, clip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips-per-action", type=int, default=4)
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=4, help="alternating baseline/farm rounds")
    p.add_argument("--farm-preset", choices=["fast", "quality"], default=None,
                   help="render the farm's clips with this preset's settings (the baseline keeps --samples, not "
                   "denoised): equal quality is then judged by PSNR alone")
    p.add_argument("--device", default="cpu", help="cpu, auto, optix or cuda: both runs render there "
                   "(every worker shares GPU 0 on a one-GPU machine)")
    args = p.parse_args()
    from rich.console import Console

    from render_farm import pipeline
    from render_farm.bodies.baked.cache import default_cache_dir
    from render_farm.core.label.labels import load_label
    from render_farm.core.plan.config import PRESETS, parse_config
    from render_farm.executors.local import available_cores, run_local

    threads = max(1, available_cores() // args.workers)  # what the farm gives each worker, for both runs
    root = Path(tempfile.mkdtemp(prefix="synthact-throughput-"))
    bodies = default_cache_dir()
    config = parse_config({"seed": 21, "actions": ACTIONS, "clips_per_action": args.clips_per_action,
                           "frames": args.frames, "fps": 16, "resolution": [224, 224], "engine": "cycles",
                           "samples": args.samples, "denoise": False, "val_fraction": 0.0},
                          "benchmark")  # plain samples, as pipelines such as SURREAL render
    farm_config = config
    if args.farm_preset:
        farm_config = parse_config({**config.model_dump(mode="json"), **PRESETS[args.farm_preset]},
                                   "benchmark (farm)")
    farm_out = root / "farm"
    jobs = pipeline.prepare(farm_config, farm_out)
    pipeline.ensure_bodies(jobs, bodies, Console(stderr=True, quiet=True))

    # The two runs alternate in rounds (baseline, farm, then farm, baseline, ...) so that a machine
    # whose speed drifts (shared hosts do) favours neither; each farm round starts its own pool.
    base_out = root / "baseline"
    base_jobs = {j.job_id: j for j in pipeline.prepare(config, base_out)}  # same scenes; render settings may differ
    if args.device != "cpu":
        # A GPU compiles its kernels on first use (minutes for OptiX/CUDA without a matching binary) and
        # caches them on disk: one untimed frame first, so neither run pays for it.
        t = time.perf_counter()
        baseline_clip(base_jobs[jobs[0].job_id], base_out, bodies, root / "warmup", frames=1, device=args.device,
                      threads=threads)
        warmup_s = time.perf_counter() - t
        print(f"warm-up (a fresh process renders one frame on {args.device}): {warmup_s:.1f} s", file=sys.stderr,
              flush=True)
    rounds = [jobs[i::args.rounds] for i in range(args.rounds)]
    base: dict[str, tuple[float, Path]] = {}
    base_wall = farm_wall = 0.0
    for r, part in enumerate(rounds):
        for mode in (("baseline", "farm") if r % 2 == 0 else ("farm", "baseline")):
            t = time.perf_counter()
            if mode == "baseline":
                with ThreadPoolExecutor(args.workers) as pool:
                    clips = pool.map(lambda j: baseline_clip(base_jobs[j.job_id], base_out, bodies, root / "work",
                                                             device=args.device, threads=threads), part)
                    for job, result in zip(part, clips, strict=True):
                        base[job.job_id] = result
                base_wall += time.perf_counter() - t
            else:  # the farm's executor: persistent workers, frames streamed to ffmpeg
                outcomes = run_local(part, farm_out, bodies, args.workers, lambda _o: None, device=args.device)
                farm_wall += time.perf_counter() - t
                assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
            # Progress on stderr, so a run cut short still tells how far it got.
            print(f"round {r + 1}/{len(rounds)} {mode}: {len(part)} clips in {time.perf_counter() - t:.1f} s",
                  file=sys.stderr, flush=True)
    t = time.perf_counter()
    pipeline.execute(jobs, farm_out, bodies, args.workers, Console(stderr=True, quiet=True),
                     pipeline.Backend(device=args.device))  # the split lists
    farm_wall += time.perf_counter() - t
    farm_render = sum(load_label(farm_out / j.label_path).render_stats["render_s"] for j in jobs)
    limit_wall = farm_render / args.workers
    devices = {load_label(farm_out / j.label_path).render_device for j in jobs}

    # Quality: the first clips' first frames against a reference at 8x the samples.
    base_q, farm_q = [], []
    q_frames = min(QUALITY_FRAMES, args.frames)
    for job in jobs[:QUALITY_CLIPS]:
        _, ref_clip = baseline_clip(base_jobs[job.job_id], base_out, bodies, root / "work", samples=args.samples * 8,
                                   frames=q_frames, device=args.device, threads=threads)
        ref = decode(ref_clip)
        base_q.append(psnr(decode(base[job.job_id][1])[:q_frames], ref))
        farm_q.append(psnr(decode(farm_out / job.clip_path)[:q_frames], ref))

    n = len(jobs)
    rows = [("baseline: process per clip, PNG, then ffmpeg", base_wall), ("SynthAct farm (local pool)", farm_wall),
            ("limit: pure frame render time / workers", limit_wall)]
    farm_settings = f"; the farm: preset {args.farm_preset} {PRESETS[args.farm_preset]}" if args.farm_preset else ""
    print(f"{n} clips, 224x224 x {args.frames} frames, Cycles {args.samples} samples{farm_settings}, {args.workers} "
          f"workers of {threads} thread(s), device {args.device} (farm labels: {sorted(devices)})\n")
    print("| run | wall s | clips/hour | x baseline |")
    print("|---|---|---|---|")
    for name, wall in rows:
        print(f"| {name} | {wall:.1f} | {n / wall * 3600:.0f} | {base_wall / wall:.2f} |")
    print(f"\nfarm wall / pure render time: {farm_wall / limit_wall:.3f}")
    print(f"baseline render time inside its processes: {sum(b[0] for b in base.values()) / args.workers:.1f} s "
          f"per worker; farm: {farm_render / args.workers:.1f} s per worker")
    print(f"PSNR to an {args.samples * 8}-sample reference (first {q_frames} frames of {QUALITY_CLIPS} clips): "
          f"baseline {np.mean(base_q):.2f} dB, farm {np.mean(farm_q):.2f} dB")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
