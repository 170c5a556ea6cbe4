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
    """A reindex was asked for while one is running."""

    def __init__(self) -> None:
        super().__init__("A reindex is already running; try again when it has finished.")


class ReindexFailed(NewsdeskError):
    """A reindex failed; the previous index keeps serving."""


class StoreUnavailable(NewsdeskError):
    """The vector store (e.g. a Chroma server) cannot be reached."""
