"""Office files are zip packages: refuse damaged, encrypted and bomb-like ones before any parser unpacks them."""

from __future__ import annotations

import io
import zipfile

from assistant.errors import LoadError

# An OLE compound file: what Office writes for a password-protected .docx/.xlsx (and for old .doc/.xls).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Declared sizes, checked before unpacking. Python's zipfile never returns more than a member's declared
# size, so a member that lies about it is cut short, not unpacked without bound.
MAX_UNPACKED_BYTES = 512 * 2**20
MAX_MEMBERS = 10_000
# Text XML compresses about 10-20x; a member over 1 MB that claims to shrink more than 200x is a bomb.
MAX_RATIO = 200
_RATIO_FLOOR = 2**20


def open_zip(raw: bytes, kind: str, required: str) -> zipfile.ZipFile:
    """Return the zip package in `raw` after checking it; raise LoadError with a one-line reason if unsafe.

    `kind` names the format in messages ("Word .docx"); `required` is a member every such file has.
    """
    if raw.startswith(OLE_MAGIC):
        raise LoadError(
            f"encrypted or old-format file (an OLE container, not {_a(kind)} package); "
            "remove the password or save it again in the current format"
        )
    try:
        package = zipfile.ZipFile(io.BytesIO(raw))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError) as exc:
        reason = str(exc)[:60]
        raise LoadError(f"damaged {kind} file (not a readable zip package: {reason}); truncated or misnamed?") from None
    if len(members) > MAX_MEMBERS:
        raise LoadError(f"refused {kind} file: {len(members):,} parts in the package (a zip bomb?)")
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise LoadError(
            f"refused {kind} file: it unpacks to {total / 2**20:,.0f} MB "
            f"(the limit is {MAX_UNPACKED_BYTES / 2**20:.0f} MB; a zip bomb?)"
        )
    for member in members:
        if member.file_size > _RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise LoadError(
                f"refused {kind} file: {member.filename} unpacks {member.file_size // max(member.compress_size, 1):,}x "
                "its packed size (a zip bomb?)"
            )
        if member.flag_bits & 0x1:
            raise LoadError(f"encrypted {kind} file (a password-protected zip); save an unprotected copy")
    if required not in package.namelist():
        raise LoadError(f"not {_a(kind)} file (the zip holds no {required}); is it misnamed?")
    return package


def _a(kind: str) -> str:
    """Return `kind` with its article: "a Word .docx", "an OpenDocument .odt"."""
    return f"an {kind}" if kind[:1].upper() in "AEIOU" else f"a {kind}"
