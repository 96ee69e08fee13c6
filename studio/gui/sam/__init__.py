"""The window's side of Segment Anything: embeddings encoded ahead in a worker process, and the
prompt decoder answering the SAM canvas tool's clicks (`studio.gui.canvas.tools.sam_tool`)."""
