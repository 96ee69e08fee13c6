"""Studio's desktop GUI (PySide6): views and controllers over `studio.api.Project`.

Nothing here runs SQL or trains models; long work runs off the GUI thread.
"""
