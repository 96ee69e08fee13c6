"""Errors that Studio reports to users; each message names the file and the problem."""

from __future__ import annotations


class StudioError(Exception):
    """Base class of every error Studio raises on purpose."""


class ProjectFileError(StudioError):
    """The project file cannot be opened or created as asked."""


class NewerProjectError(ProjectFileError):
    """The project was written by a newer Studio whose schema this version does not know."""


class NotAProjectError(ProjectFileError):
    """The file exists but is not a Studio project."""


class DamagedProjectError(ProjectFileError):
    """The file is a Studio project, but SQLite cannot read it (its reason is in the message)."""


class ReadOnlyProjectError(ProjectFileError):
    """The project was opened read-only (a read-only file or folder); a change was refused."""


class InvalidEditError(StudioError):
    """An edit was refused because its arguments are invalid; nothing was written."""


class NothingToUndoError(StudioError):
    """Undo or redo was asked for but the history has nothing in that direction."""


class HistoryConflictError(StudioError):
    """Undo or redo cannot apply: a change made outside the history touched the same rows.

    The transaction rolls back, so the project and its history stay as they were.
    """


class LabelImportError(StudioError):
    """A label file cannot be imported; nothing was written.

    The message names the file, the record in it (line, annotation id, image name) and what
    is wrong, so the user can fix the file.
    """

    def __init__(self, file: object, problem: str, record: str | None = None) -> None:
        self.file = str(file)
        self.record = record
        self.problem = problem
        where = f"{self.file}: {record}" if record else self.file
        super().__init__(f"{where}: {problem}")


class LabelExportError(StudioError):
    """An export cannot be written; the destination is left as it was."""


class OperationCancelledError(StudioError):
    """The user cancelled a long operation; whatever it was writing was rolled back."""


class VersionError(StudioError):
    """A dataset version cannot be made or found as asked; nothing was written."""


class TrainingConfigError(StudioError):
    """A training setting is invalid (unknown model, task it cannot do, bad number)."""


class RunError(StudioError):
    """A run cannot be found, started, resumed or evaluated as asked."""


class RunTakenError(RunError):
    """A worker's run is no longer its own: it was judged gone and given to another worker,
    or its project file was deleted. The worker stops without writing to the run."""


class CheckpointError(StudioError):
    """A checkpoint file is missing, damaged, or holds something other than plain tensors."""


class ModelRegistryError(StudioError):
    """A model version or alias cannot be found or changed as asked; nothing was written."""


class ExportError(StudioError):
    """A model cannot be exported, or its export failed the parity gate; nothing was written."""
