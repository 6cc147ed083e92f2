"""Content hashes of delivered files, remembered by path, size and modification time.

A scheduler offers the same delivery folder every few minutes, and hashing every file again to
learn that nothing is new costs seconds at scale 100. A refresh keeps the hashes it computed
beside the database (`NAME.delivered.json`) and trusts one while the file's size and
modification time (in nanoseconds) are those it was hashed with; the load still asks
raw.loaded_files whether those bytes were offered. A file rewritten in place changes its
modification time, so it is hashed again. Losing the cache only costs the hashing.
"""

import json
import os
from pathlib import Path

Signature = tuple[int, int]  # size in bytes, modification time in nanoseconds


class HashCache:
    """The hashes remembered in `path`; with no path, one that remembers nothing (`load`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries = self._read() if path else {}
        self.changed = False

    def signature(self, file: Path) -> Signature | None:
        try:
            found = file.stat()
        except OSError:  # the scan reports it
            return None
        return found.st_size, found.st_mtime_ns

    def known_hash(self, file: Path, signature: Signature | None) -> str | None:
        """The hash `file` had when it last had this signature."""
        entry = self.entries.get(str(file))
        if self.path is None or signature is None or entry is None:
            return None
        size, modified, file_hash = entry
        return file_hash if (size, modified) == signature else None

    def remember(self, file: Path, signature: Signature | None, file_hash: str) -> None:
        """`signature` is the one taken before the hash was computed: a file changed meanwhile
        has another signature now, so it is hashed again next time."""
        if self.path is not None and signature is not None:
            self.entries[str(file)] = [*signature, file_hash]
            self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        staged = self.path.with_name(self.path.name + ".new")
        try:
            staged.write_text(json.dumps(self.entries))
            os.replace(staged, self.path)
        except OSError:  # a full disk: the next refresh hashes the files again
            staged.unlink(missing_ok=True)

    def _read(self) -> dict[str, list]:
        try:
            entries = json.loads(self.path.read_text())
        except (OSError, ValueError):  # none yet, or unreadable: hashed again
            return {}
        if not isinstance(entries, dict):
            return {}
        return {
            path: entry
            for path, entry in entries.items()
            if isinstance(entry, list) and len(entry) == 3
        }
