"""Dataset-level work on an output folder: its files (folder), and what reads a whole dataset."""
