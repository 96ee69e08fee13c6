"""The Data menu: models back into labeling (issue 14), one module per piece."""
