"""A job resolved into what a renderer needs, in plain Python: motion maths (resample, warp, noise, mirror) and
the clip spec (every actor's per-frame pose, the cameras, the held props' tracks)."""
