"""Checks on a file's bytes, in one streaming pass: content hash, gzip, UTF-8, line endings.

The pass also notes what the readers need to know before DuckDB reads the file: its line
ending, control characters its JSON lines do not hold, and its first characters (a CSV
header). DuckDB reads the file through a link in the load's scratch folder, or a copy there
when the file mixes line endings.
"""

import codecs
import gzip
import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from smartsessions.landing.csv_records import CsvRecords, UnclosedQuote
from smartsessions.landing.delivery import DeliveryFile

CHUNK_BYTES = 1 << 20
HEADER_CHARS = 1 << 16  # enough decoded text to hold a CSV header row
# JSON lines are read as one text column, split on a control character the file does not hold,
# and a copy of the file stands another for each CR inside a line (see `readable`). Valid JSON
# never holds a raw one, but a broken line might. Tab, LF, VT, FF and CR are never candidates.
CONTROL_CANDIDATES = bytes([*range(0x01, 0x09), *range(0x0E, 0x20)])


class FileUnreadable(Exception):
    """An I/O or permission error reading the file: it is reported and not remembered, so the
    next load tries it again. The message says why."""


@dataclass(frozen=True)
class Scan:
    """What one streaming pass over a file's bytes found."""

    file_hash: str
    fault: str | None = None  # why the file is rejected whole
    newline: str | None = "\n"  # "\n" or "\r\n"; None when the file mixes line endings
    # JSON lines: control characters absent from the file (at least two, or it is rejected)
    unused_controls: bytes = b""
    head: str = ""  # the first characters of text, which hold a CSV header
    # Text: the records the file holds, counted apart from DuckDB to check that it read them all
    # (CSV: its records, header row included, a blank line being none; JSON lines: its lines).
    records: int = 0
    unclosed_quote: UnclosedQuote | None = None  # CSV: a quoted field open at the end


@dataclass(frozen=True)
class Readable:
    """What DuckDB reads for a delivered file."""

    path: Path  # in the load's scratch folder
    compression: str  # gzip or none
    newline: str  # "\n" or "\r\n"
    cr_stand_in: int | None = None  # JSON lines: the character that stands for a CR in a line


def scan_file(file: DeliveryFile) -> Scan:
    """Hash the file's bytes and, for text, check that they gunzip and decode as UTF-8."""
    digest = hashlib.sha256()
    text = TextCheck(file.compressed, file.reader) if file.reader != "parquet" else None
    for chunk in _delivered_chunks(file):
        digest.update(chunk)
        if text:
            text.feed(chunk)
    if text is None:
        return Scan(digest.hexdigest())
    return text.finish(digest.hexdigest())


def _delivered_chunks(file: DeliveryFile, decompressed: bool = False):
    """The file's bytes, a chunk at a time. An error reading them is the file's: the caller's
    own errors (writing a copy) are not caught here."""
    opener = gzip.open if decompressed else open
    try:
        with opener(file.path, "rb") as handle:
            yield from iter(partial(handle.read, CHUNK_BYTES), b"")
    except OSError as error:
        raise FileUnreadable(f"cannot read it ({error.strerror or error})") from None


class Gunzip:
    """Incremental gunzip, across the members of a multi-member file."""

    def __init__(self) -> None:
        self.member = zlib.decompressobj(wbits=31)

    def feed(self, data: bytes) -> bytes:
        out = [self.member.decompress(data)]
        while self.member.eof and self.member.unused_data:
            rest = self.member.unused_data
            self.member = zlib.decompressobj(wbits=31)
            out.append(self.member.decompress(rest))
        return b"".join(out)

    @property
    def complete(self) -> bool:
        return self.member.eof


class TextCheck:
    """Follows a text file chunk by chunk: gunzips it, checks it is UTF-8, counts its line
    endings, notes which control characters it holds, keeps its first characters and counts its
    records (`reader`: csv or json)."""

    def __init__(self, compressed: bool, reader: str = "csv") -> None:
        self.gunzip = Gunzip() if compressed else None
        self.json_lines = reader == "json"
        self.csv = CsvRecords() if reader == "csv" else None
        self.line_ends, self.last_byte = 0, b"\n"  # JSON lines: a last line may lack its LF
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.fault: str | None = None
        self.head = ""
        self.has_cr = self.lone_cr = self.lone_lf = False
        self.ends_with_cr = False  # the pair of a chunk's last CR is in the next chunk
        self.unseen = list(CONTROL_CANDIDATES)

    def feed(self, chunk: bytes) -> None:
        if self.fault:
            return
        try:
            data = self.gunzip.feed(chunk) if self.gunzip else chunk
        except zlib.error:
            self.fault = "not a valid gzip file"
            return
        self._decode(data, final=False)
        self._note_line_endings(data)
        self.unseen = [c for c in self.unseen if c not in data]
        if self.csv:
            self.csv.feed(data)
        elif data:
            self.line_ends += data.count(b"\n")
            self.last_byte = data[-1:]

    def _decode(self, data: bytes, final: bool) -> None:
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            self.fault = "not valid UTF-8 text"
            return
        if len(self.head) < HEADER_CHARS:
            self.head += text[:HEADER_CHARS]

    def _note_line_endings(self, data: bytes) -> None:
        """Whether the file has a CR, a CR not followed by LF, an LF not after a CR."""
        if not data:
            return
        carried, self.ends_with_cr = self.ends_with_cr, data.endswith(b"\r")
        if not carried and b"\r" not in data:  # the common case, checked at memchr speed
            self.lone_lf = self.lone_lf or b"\n" in data
            return
        self.has_cr = True
        pairs = data.count(b"\r\n")
        joined = carried and data.startswith(b"\n")
        self.lone_cr |= (carried and not joined) or (
            data.count(b"\r") - pairs - self.ends_with_cr > 0
        )
        self.lone_lf |= data.count(b"\n") - pairs - joined > 0

    def finish(self, file_hash: str) -> Scan:
        if not self.fault and self.gunzip and not self.gunzip.complete:
            self.fault = "not a valid gzip file"
        if not self.fault:
            self._decode(b"", final=True)
        if not self.fault and self.json_lines and len(self.unseen) < 2:
            self.fault = "it holds every control character the line reader could use"
        if self.fault:
            return Scan(file_hash, self.fault)
        unclosed_quote = self.csv.finish() if self.csv else None
        return Scan(
            file_hash,
            newline=self._newline(),
            unused_controls=bytes(self.unseen),
            head=self.head,
            records=self.csv.records if self.csv else self.line_ends + (self.last_byte != b"\n"),
            unclosed_quote=unclosed_quote,
        )

    def _newline(self) -> str | None:
        if not self.has_cr:
            return "\n"
        if not (self.lone_cr or self.ends_with_cr or self.lone_lf):
            return "\r\n"
        return None


@contextmanager
def readable(file: DeliveryFile, scan: Scan, scratch: Path) -> Iterator[Readable]:
    """What DuckDB reads, for as long as it reads it: never the delivered path, which its
    readers would take as a pattern (`*`, `?` and `[..]` expand), but a link named `delivered`
    in the scratch folder to the exact file chosen. DuckDB's CSV reader miscounts or drops lines
    when a file mixes line endings, so such a file is read from a copy there with every CRLF
    turned into LF. A lone CR is a line ending in CSV, but for one inside a quoted field, which is
    the field's text and stays as delivered; in JSON lines it is inside a line (whitespace, or a
    raw control character in a string), so the copy holds a stand-in that the reader turns back
    into a CR."""
    compression = "gzip" if file.compressed else "none"
    path = scratch / ("delivered" if scan.newline else "delivered.txt")
    try:
        if scan.newline:
            path.symlink_to(file.path)
            yield Readable(path, compression, scan.newline)
        else:
            stand_in = scan.unused_controls[1] if file.reader == "json" else None
            lone_cr = b"\n" if stand_in is None else bytes([stand_in])
            _copy_with_lf(file, path, lone_cr, quoted=file.reader == "csv")
            yield Readable(path, "none", "\n", stand_in)
    finally:
        path.unlink(missing_ok=True)


def _copy_with_lf(file: DeliveryFile, copy: Path, lone_cr: bytes, quoted: bool = False) -> None:
    """Copy the file's text with every CRLF made LF and every lone CR made `lone_cr`; with
    `quoted` (CSV), but for the line breaks inside a quoted field (RFC 4180: a `"` opens or
    closes one, and a doubled `""` inside one does both), which are kept as delivered."""
    in_quotes = False
    with copy.open("wb") as target:
        held_back = b""  # a CR at the end of a chunk may be the first half of a CRLF
        for chunk in _delivered_chunks(file, decompressed=file.compressed):
            chunk = held_back + chunk
            held_back = b"\r" if chunk.endswith(b"\r") else b""
            chunk = chunk[: len(chunk) - len(held_back)]
            if not quoted:
                target.write(_with_lf(chunk, lone_cr))
                continue
            parts = chunk.split(b'"')
            for index, part in enumerate(parts):
                if index:
                    in_quotes = not in_quotes
                parts[index] = part if in_quotes else _with_lf(part, lone_cr)
            target.write(b'"'.join(parts))
        target.write(held_back if in_quotes else _with_lf(held_back, lone_cr))


def _with_lf(data: bytes, lone_cr: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", lone_cr)


def text_from(file: DeliveryFile, offset: int, keep: int) -> tuple[bytes, int]:
    """The first `keep` bytes of the file's text from `offset` on (after decompression), and how
    many bytes there are from there to the end."""
    kept, seen = b"", 0
    for chunk in _delivered_chunks(file, decompressed=file.compressed):
        start = max(offset - seen, 0)
        seen += len(chunk)
        kept += chunk[start : start + keep - len(kept)]
    return kept, seen - offset
