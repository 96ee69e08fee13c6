"""Long work in worker processes: training and evaluation, with JSON-lines progress, cancel
and resume. Never imports Qt; the GUI, the CLI and the API start the same workers."""
