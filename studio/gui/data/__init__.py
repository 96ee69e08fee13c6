"""The Data menu: models back into labeling (pre-labels, queue, label errors, duplicates, map)."""
