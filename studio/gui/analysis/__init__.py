"""Error analysis: confusion matrix, precision-recall curves, detection errors over images."""
