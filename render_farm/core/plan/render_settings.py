"""Render settings, declared once: the config embeds them (with presets), every job carries them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Engine = Literal["cycles", "workbench", "eevee"]


class RenderSettings(BaseModel):
    """How a clip is rendered. The defaults are the `fast` preset's (a config without a preset)."""

    model_config = ConfigDict(extra="forbid")

    engine: Engine = "cycles"
    samples: int = Field(4, ge=1, le=4096, description="Cycles and Eevee: samples per pixel; Workbench: "
                         "anti-aliasing samples (5, 8, 11, 16 or 32, rounded down; below 5 FXAA).")
    max_bounces: int = Field(4, ge=0, le=128, description="Cycles light bounces.")
    adaptive_threshold: float = Field(0.0, ge=0.0, le=1.0, description="Cycles adaptive sampling threshold; 0: off.")
    denoise: bool = Field(True, description="Cycles: OpenImageDenoise on each frame.")
    denoise_quality: Literal["fast", "high"] = Field(
        "fast", description="OpenImageDenoise: fast (fast filter and prefilter, several times cheaper) or high.")
    world_map: int | None = Field(
        None, ge=0, le=16384, description="Cycles: resolution of the world light's importance map, built once per "
        "clip; 0: Blender's automatic one (sharper, about 0.7 s more per clip on a CPU); unset: 1024 when denoised "
        "with the fast filter, else 0.")

    @property
    def world_map_resolution(self) -> int:
        """The world importance map a clip renders with. Unset: 1024 for frames denoised with the fast
        filter, where Blender's automatic map cost 0.67 s more a clip on a CPU for 0.02 dB; else the
        automatic map (0), which was 0.5 dB better for undenoised frames (benchmarks/world_map.py)."""
        if self.world_map is not None:
            return self.world_map
        return 1024 if self.denoise and self.denoise_quality == "fast" else 0

    def resolved(self) -> RenderSettings:
        """The settings with nothing left to derive (what a job records)."""
        return self.model_copy(update={"world_map": self.world_map_resolution})


# Render settings by purpose, measured in docs/benchmarks.md (time per frame and PSNR against a
# converged reference). A config's own engine/samples/... fields override its preset's.
# `fast` renders few samples and denoises them quickly: 0.29x the time of 16 undenoised samples
# per frame at a higher PSNR (33.6 against 33.2 dB; 0.43x before its manual world map).
PRESETS: dict[str, RenderSettings] = {
    "preview": RenderSettings(engine="workbench", samples=8, max_bounces=0, adaptive_threshold=0.0, denoise=False),
    "fast": RenderSettings(engine="cycles", samples=4, max_bounces=4, adaptive_threshold=0.0, denoise=True,
                           denoise_quality="fast"),
    "quality": RenderSettings(engine="cycles", samples=64, max_bounces=8, adaptive_threshold=0.01, denoise=True,
                              denoise_quality="high"),
}

# What plans written before presets existed rendered with, for job lines that lack these fields.
LEGACY_JOB_SETTINGS = {"max_bounces": 4, "adaptive_threshold": 0.0, "denoise": False, "denoise_quality": "high",
                       "world_map": 0}
