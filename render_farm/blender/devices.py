"""Which device Cycles renders on: a chosen GPU through Blender's preferences, or the CPU.

Blender does not reliably honour CUDA_VISIBLE_DEVICES alone, so a worker pins its GPU by
enabling exactly one device in the Cycles preferences. When no GPU of the asked kind is
usable the worker renders on the CPU and says so (the label records the device used).
"""

from __future__ import annotations

import bpy

DEVICES = ("cpu", "auto", "optix", "cuda")
GPU_ORDER = {"auto": ("OPTIX", "CUDA"), "optix": ("OPTIX",), "cuda": ("CUDA",)}


def _gpus(prefs, backend: str) -> list:
    try:
        prefs.compute_device_type = backend
    except TypeError:  # this Blender build lacks the backend
        return []
    prefs.get_devices()
    return [d for d in prefs.devices if d.type == backend]


def denoise_on_gpu(scene: bpy.types.Scene) -> None:
    """Run the denoiser on the GPU that renders. Blender's factory settings denoise on the CPU even when
    Cycles renders on a GPU: measured on the CPU, OpenImageDenoise takes 48 ms of a 224x224 frame on one
    thread (benchmarks/frame_overhead.py), far more than a GPU needs to path-trace it; OIDN 2 runs on
    CUDA and OptiX devices."""
    if hasattr(scene.cycles, "denoising_use_gpu"):  # Blender >= 4.1
        scene.cycles.denoising_use_gpu = True


def select_device(scene: bpy.types.Scene, request: str, slot: int = 0) -> tuple[str, str]:
    """Set Cycles to render on the requested device; returns (device used, note for the log: empty when
    it is what was asked)."""
    if request not in DEVICES:
        raise ValueError(f"device: unknown {request!r} (choose {', '.join(DEVICES)})")
    scene.cycles.device = "CPU"
    if request == "cpu":
        return "CPU", ""
    prefs = bpy.context.preferences.addons["cycles"].preferences
    for backend in GPU_ORDER[request]:
        gpus = _gpus(prefs, backend)
        if gpus:
            for d in prefs.devices:
                d.use = False
            chosen = gpus[slot % len(gpus)]
            chosen.use = True
            scene.cycles.device = "GPU"
            denoise_on_gpu(scene)
            return f"{backend}:{chosen.name}", ""
    prefs.compute_device_type = "NONE"
    return "CPU", f"no usable {'/'.join(GPU_ORDER[request])} GPU: rendering on the CPU"
