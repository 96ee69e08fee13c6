"""Machine learning: datasets from frozen versions, the model registry, training, evaluation.

Imports torch (lazily where the GUI or CLI only read settings); never Qt.
"""
