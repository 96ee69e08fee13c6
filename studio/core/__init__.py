"""The project file: schema, migrations, repository operations, media.

Nothing in this package imports Qt or torch, so every tool (CLI, scripts, workers, tests)
can open a project on a headless machine.
"""
