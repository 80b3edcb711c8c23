"""Baking bodies: anny (PyTorch) posed into the canonical T-pose, run in the planning process's child."""
