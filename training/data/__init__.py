"""Datasets: list formats, decoding and clip sampling, transforms."""
