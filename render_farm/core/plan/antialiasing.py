"""Workbench anti-aliasing from a job's samples; no pydantic, so the worker inside a Blender application reads it."""

from __future__ import annotations

# Blender's Workbench anti-aliasing sample counts (render_aa); below the first, FXAA (a filter, no extra samples).
WORKBENCH_AA_SAMPLES = (5, 8, 11, 16, 32)


def workbench_antialiasing(samples: int) -> str:
    """Workbench's samples are its anti-aliasing samples: the largest count Blender offers that is at most
    `samples`, FXAA below 5. On a CPU's software OpenGL each costs about as much as the frame without it
    (64x48: 8 samples 1.6-2.0 s a frame, 5 samples 1.0-1.3, FXAA 0.2-0.3), so a job asking for few gets few."""
    fitting = [n for n in WORKBENCH_AA_SAMPLES if n <= samples]
    return str(fitting[-1]) if fitting else "FXAA"
