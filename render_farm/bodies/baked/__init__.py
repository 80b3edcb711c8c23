"""Baked bodies as render nodes see them: numpy only (tests/core/test_architecture.py checks no torch)."""
