"""PDF checks: the bytes are a complete PDF, and nothing in it runs when someone opens it.

Active content is found by its PDF names, wherever they are: in the file body, and inside every
Flate-compressed stream (object streams hide dictionaries there), with `#xx` escapes decoded, so
`/J#61vaScript` is `/JavaScript`. A PDF whose objects could hide behind an encoding not inflated
here (LZW, ASCII hex/85, run length, encryption) is refused rather than trusted unread.
The scan does not tell a name from the same characters inside a text string, so a PDF whose text
itself reads "/JavaScript" is refused too; that errs on the safe side and the message says how to
get an acceptable file. The short /JS key, common in text ("HTML/JS/CSS"), counts only where a script
follows it as in a dictionary: a string, a hex string or an indirect reference; the filter
abbreviations (/A85, /RL...) only where a filter is named. Names of two or three letters (/JS, /AA, /XFA, the filter abbreviations)
count only among printable bytes, because they turn up by chance inside image data.
"""

from __future__ import annotations

import mmap
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from portal.storage import UploadRejected

# Name -> what the person uploading is told the file contains.
ACTIVE_NAMES = {
    "JavaScript": "scripts",
    "JS": "scripts",
    "Launch": "an action that starts a program",
    "EmbeddedFile": "attached files",
    "EmbeddedFiles": "attached files",
    "RichMedia": "embedded media",
    "AA": "actions that run automatically",
    "XFA": "an XFA form",
    "SubmitForm": "a form that sends data",
    "ImportData": "a form that loads data",
    "GoToR": "links that open other files",
    "GoToE": "links that open attached files",
}
# The abbreviations name a filter only where a filter is named: after /Filter (or an inline image's
# /F), among the other filters of its array, or as an array object of its own that /Filter refers to.
# Elsewhere "/RL" or "/A85" is text (a web address: https://github.com/ada/RL).
FILTER_ABBREVIATIONS = {"LZW", "AHx", "A85", "RL"}
_GAP = rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*[\r\n])*"  # white space and comments between tokens
FILTER_POSITION = re.compile(
    rb"(?:/Filter|/F|\bobj)" + _GAP + rb"\[?(?:" + _GAP + rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]+)*" + _GAP + rb"$"
)
# Filters that could hold objects out of sight of this scan (and their abbreviations).
UNCHECKED_FILTERS = {
    "LZWDecode",
    "LZW",
    "ASCIIHexDecode",
    "AHx",
    "ASCII85Decode",
    "A85",
    "RunLengthDecode",
    "RL",
    "Crypt",
}

MAX_INFLATED = 128 * 1024 * 1024  # all streams together: beyond it the PDF is refused, not half read
MAX_NESTING = 3  # a stream compressed twice or three times is inflated each time; more is refused
CHUNK = 256 * 1024
OVERLAP = 512  # longer than any name worth finding (even fully #-escaped) and its context
CONTEXT = 32  # bytes either side of a short name that must read as PDF syntax

# A PDF name: a slash, then regular characters (up to a delimiter or white space).
NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]{1,200})")
HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
# What stands after the /JS key of a JavaScript action: its script, as a string or a reference.
SCRIPT_VALUE = re.compile(rb"[\x00\t\n\x0c\r ]*(?:\(|<(?!<)|\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R)")


def check_structure(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
        if not head.startswith(b"%PDF-"):
            raise UploadRejected("The file is not a PDF document.")
        fh.seek(max(0, path.stat().st_size - 2048))
        tail = fh.read()
    if b"%%EOF" not in tail:
        raise UploadRejected("The PDF is incomplete or damaged (it has no end marker). Export it again and retry.")


def check_active_content(path: Path) -> None:
    found = names_in(path)
    if "Encrypt" in found:
        raise UploadRejected(
            "The PDF is password-protected or encrypted. Save it without protection and upload it again."
        )
    unchecked = found & UNCHECKED_FILTERS
    if unchecked:
        raise UploadRejected(
            "The PDF uses an old or unusual compression that cannot be checked. "
            "Export or print it to a new PDF and upload that."
        )
    active = sorted({ACTIVE_NAMES[name] for name in found & ACTIVE_NAMES.keys()})
    if active:
        raise UploadRejected(
            f"The PDF contains {' and '.join(active)}, which could run when it is opened. "
            "Export or print it to a new PDF without them and upload that."
        )


def names_in(path: Path) -> set[str]:
    """Every name of interest in the file body and in every stream that inflates."""
    wanted = ACTIVE_NAMES.keys() | UNCHECKED_FILTERS | {"Encrypt"}
    found: set[str] = set()
    budget = [MAX_INFLATED]
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        found |= _names(_slices(data, 0), wanted)
        for match in STREAM.finditer(data):
            start = match.end()
            if _is_zlib(data[start : start + 2]):
                found |= _names(_inflate(_slices(data, start), budget, depth=1), wanted)
    return found


def _slices(data, start: int) -> Iterator[bytes]:
    for offset in range(start, len(data), CHUNK):
        yield data[offset : offset + CHUNK]


def _is_zlib(head: bytes) -> bool:
    return len(head) == 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and (head[0] << 8 | head[1]) % 31 == 0


def _inflate(chunks: Iterable[bytes], budget: list[int], depth: int) -> Iterator[bytes]:
    """The inflated bytes of the zlib stream that `chunks` begins with, until it ends or breaks."""
    out = _inflate_once(chunks, budget)
    first = b""
    while len(first) < 2:  # enough to tell whether it is compressed once more
        more = next(out, None)
        if more is None:
            break
        first += more
    if _is_zlib(first[:2]):
        if depth >= MAX_NESTING:
            # A reader inflates every layer; a check that stopped here would pass what lies below.
            raise UploadRejected(
                "The PDF is compressed more times over than a document needs, so it cannot be checked for "
                "scripts. Export or print it to a new PDF and upload that."
            )
        yield from _inflate(_chain([first], out), budget, depth + 1)
    else:
        yield from _chain([first], out)


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


def _inflate_once(chunks: Iterable[bytes], budget: list[int]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    for chunk in chunks:
        pending = chunk
        while True:
            try:
                out = inflater.decompress(pending, CHUNK)
            except zlib.error:
                return  # damaged data: what inflated so far was scanned, and a reader stops here too
            pending = inflater.unconsumed_tail
            budget[0] -= len(out)
            if budget[0] < 0:
                raise UploadRejected(
                    "The PDF is too large or complex to check once decompressed. "
                    "Export it again with smaller images and retry."
                )
            if out:
                yield out
            if inflater.eof:
                return
            if not pending and len(out) < CHUNK:
                break


def _names(chunks: Iterable[bytes], wanted) -> set[str]:
    found: set[str] = set()
    carry = b""
    for chunk in _chain(chunks, [None]):
        final = chunk is None
        buffer = carry + (chunk or b"")
        for match in NAME.finditer(buffer):
            # A name near the end of the buffer may go on (or have its context) in the next chunk.
            if not final and match.end() + CONTEXT >= len(buffer):
                continue
            text = HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1)).decode("latin-1")
            if text not in wanted:
                continue
            if text == "JS" and not SCRIPT_VALUE.match(buffer, match.end()):
                continue  # "/JS" in running text, not a key with a script after it
            if text in FILTER_ABBREVIATIONS and not _in_filter_position(buffer, match.start()):
                continue
            if len(text) > 3 or _in_pdf_syntax(buffer, match.start(), match.end()):
                found.add(text)
        carry = buffer[-OVERLAP:]
    return found


def _in_filter_position(buffer: bytes, start: int) -> bool:
    """Whether what stands before a name (escapes decoded, as a reader sees it) is
    /Filter, /F or the start of an object, with only other names and an opening bracket between."""
    before = HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), buffer[max(0, start - OVERLAP) : start])
    return FILTER_POSITION.search(before[-300:]) is not None


def _in_pdf_syntax(buffer: bytes, start: int, end: int) -> bool:
    """True unless the bytes around a match are binary (image or compressed data)."""
    # Two or three letters after a slash turn up by chance in megabytes of image data; in a
    # dictionary, where they would mean something, they stand among printable characters.
    window = buffer[max(0, start - CONTEXT) : end + CONTEXT]
    printable = sum(1 for byte in window if 32 <= byte < 127 or byte in b"\t\n\r\x0c")
    return printable >= 0.75 * len(window)
