"""The Data menu: models back into labeling (label errors, and the other issue-14 views)."""
