"""Dataset-level work on an output folder: its files and completeness (`folder`, `mp4`), and the commands
that read a whole dataset (`verify`: decode and check every clip and label; `report`: plots and sheets)."""
