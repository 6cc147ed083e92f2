"""Counting a CSV file's records as DuckDB's reader splits them, from its bytes a chunk at a time,
so that the loader can tell whether DuckDB accounted for every one.

DuckDB's reader, as RFC 4180, opens a quoted field at a `"` that starts a field (or follows its
first character, a space: not two); elsewhere a `"` is text. Inside one, `""` is a quote and a
`"` followed by anything else closes it. A quoted field that never closes makes the rest of the
file one record, which DuckDB drops without a word, with every line in it: the count notes where
that record starts, to reject it.
"""

import re
from dataclasses import dataclass

# Text up to a quote after a space or one that starts a quoted field spanning lines (or not closed
# within the text): runs without quotes, quoted fields closed on their line, quotes inside text.
RUN = re.compile(rb'(?:[^"]+|"(?<=[,\r\n]")[^"\r\n]*(?:""[^"\r\n]*)*"(?=[^"])|"(?<![,\r\n ]"))*')
FIELD_ENDS = (b",", b"\r", b"\n")
# The rest of a quoted field, to its closing quote (a `"` followed by anything but a quote).
QUOTED_REST = re.compile(rb'[^"]*(?:""[^"]*)*"(?=[^"])')


@dataclass(frozen=True)
class UnclosedQuote:
    """A quoted field open at the end of the file: the record that holds it runs to the end."""

    quote_line: int  # the line its opening quote is on
    record_line: int  # the line the record starts on
    record_offset: int  # the record's first byte, counted in the text after decompression


class CsvRecords:
    """Follows a CSV file's text (bytes: the characters that split records are ASCII) chunk by
    chunk, counting its records (a blank line is none) and its lines, where a CR, an LF and a
    CRLF outside a quoted field each end one and only an LF does inside."""

    def __init__(self) -> None:
        self.records = 0
        self.line = 1  # the line the text to come starts on
        self.offset = 0  # the bytes before the text to come
        # The field so far, when it is nothing or a space (a quote would open it); else None.
        self.field_so_far: bytes | None = b""
        self.held = b""  # the end of a chunk whose meaning depends on the next: a CR, quotes
        self.in_record = False  # the line so far holds part of a record
        self.quote_line: int | None = None  # while in a quoted field, the line it opened on
        self.record_line, self.record_offset = 1, 0  # where the current record starts

    def feed(self, data: bytes) -> None:
        text, self.held = self.held + data, b""
        while text:
            text = self._unquoted(text) if self.quote_line is None else self._quoted(text)

    def finish(self) -> UnclosedQuote | None:
        """Count the last record; the record that holds a quoted field never closed, if any."""
        self.feed(b"\n")  # the end of the file ends the last record
        if self.quote_line is None:
            return None
        self.records += 1
        return UnclosedQuote(self.quote_line, self.record_line, self.record_offset)

    def _unquoted(self, text: bytes) -> bytes:
        """Count the records in the text up to the first quoted field that spans lines or
        chunks (or follows a space), and return the text from that field on (after its opening
        quote)."""
        if text.endswith(b"\r"):  # perhaps the first half of a CRLF
            text, self.held = text[:-1], b"\r"
        end = self._opening_quote(text)
        self._count_lines(text, end)
        if end == len(text):
            self.offset += end
            self._note_field_so_far(text)
            return b""
        self.quote_line, self.in_record = self.line, True
        self.offset += end + 1
        return text[end + 1 :]

    def _opening_quote(self, text: bytes) -> int:
        """Where in the text the first quote is that opens a field not closed on its line (the
        text's length when there is none). A quote after a space opens one when the space
        starts a field, and is text otherwise."""
        before = b"x" if self.field_so_far is None else b"\n" + self.field_so_far
        text = before + text  # what comes before the text, for the pattern
        end = RUN.match(text, len(before)).end()
        while end < len(text) and not _starts_field(text, end):
            end = RUN.match(text, end + 1).end()
        return end - len(before)

    def _note_field_so_far(self, text: bytes) -> None:
        last = max(text.rfind(ending) for ending in FIELD_ENDS)
        if last >= 0:
            so_far = text[last + 1 :]
        else:
            so_far = None if self.field_so_far is None else self.field_so_far + text
        self.field_so_far = so_far if so_far in (b"", b" ") else None

    def _count_lines(self, text: bytes, end: int) -> None:
        """Count the line ends in `text[:end]`, outside quoted fields or inside one of a line."""
        lines = text[:end]
        if b"\r" in lines:
            lines = lines.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = lines.split(b"\n")
        if len(lines) == 1:
            self.in_record = self.in_record or bool(lines[0])
            return
        ended = len(lines) - 1
        self.records += (self.in_record or bool(lines[0])) + ended - 1 - lines[1:-1].count(b"")
        self.in_record = bool(lines[-1])
        self.line += ended
        start = max(text.rfind(b"\n", 0, end), text.rfind(b"\r", 0, end)) + 1
        self.record_line, self.record_offset = self.line, self.offset + start

    def _quoted(self, text: bytes) -> bytes:
        """Follow the text inside a quoted field; return the text after its closing quote. A
        chunk's last quotes wait for the next chunk: the byte after them says what they are."""
        closed = QUOTED_REST.match(text)
        inside = text[: closed.end()] if closed else text.rstrip(b'"')
        self.line += inside.count(b"\n")
        self.offset += len(inside)
        if not closed:
            self.held = text[len(inside) :]
            return b""
        self.quote_line, self.field_so_far = None, None
        return text[closed.end() :]


def _starts_field(text: bytes, position: int) -> bool:
    """Whether what comes before `position` (two bytes at least) is the end of a field, perhaps
    then a space."""
    before = text[position - 1 : position]
    return before in FIELD_ENDS or (
        before == b" " and text[position - 2 : position - 1] in FIELD_ENDS
    )
