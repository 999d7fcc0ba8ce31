"""The one error type for bad input: it names the file, the key and the reason."""

from __future__ import annotations


class CaseError(Exception):
    """Bad input in a case file (or a file it references)."""

    def __init__(self, file: str, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        where = f"{self.file}: " if self.file else ""
        at = f"[{key}] " if key else ""
        super().__init__(f"{where}{at}{reason}")
