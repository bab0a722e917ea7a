"""The readers' own failure: one document (or file) that cannot be read, with a short kind."""


class ReadError(Exception):
    """A document-level read failure with a short kind ("decode", "binary", "truncated_gzip", ...)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
