"""The core's typed errors; each front end maps them to a message once."""


class NewsdeskError(Exception):
    """Base class: the message is meant for the person using newsdesk."""


class ConfigError(NewsdeskError):
    """A setting is missing or invalid."""


class IndexNotBuilt(NewsdeskError):
    """There is no index yet."""

    def __init__(self) -> None:
        super().__init__("No index yet: run `newsdesk index` (or `/reindex` in Discord) first.")


class SourceNotFound(NewsdeskError):
    """A source reference matched no article or passage."""


class ReindexInProgress(NewsdeskError):
    """A reindex was asked for while one is running (here, or in `holder`)."""

    def __init__(self, holder: str | None = None) -> None:
        where = f" ({holder})" if holder else ""
        super().__init__(f"A reindex is already running{where}; try again when it has finished.")


class ReindexFailed(NewsdeskError):
    """A reindex failed; the previous index keeps serving."""


class StoreUnavailable(NewsdeskError):
    """The vector store (e.g. a Chroma server) cannot be reached."""


class StoreDamaged(NewsdeskError):
    """The index's files are damaged; a full reindex builds a fresh one."""
