"""Studio's benchmarks: `python -m benchmarks` (what `make bench` runs).

Each benchmark times Studio and a minimal hand-written baseline doing the same work in the
same run, on data generated with a fixed seed in a temporary folder, and the run prints one
table of both figures and their ratio (see `benchmarks.harness`).
"""
