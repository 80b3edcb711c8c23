"""The clip label: what a clip shows, how it was made, and its per-frame ground truth."""
