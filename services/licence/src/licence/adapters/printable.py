"""The printable electronic licence 电子证照: an A4 PDF (one page unless it has many rows), zh-CN first, English beside.

What the page carries: the licence type 证照名称 in Chinese and English, a table of 证照编号 (number), 持证人 (holder),
证件号码 (masked ID number), 签发机关 (issuing authority), 签发日期 (date of issue), 有效期 (validity; 长期 when it
does not end) and the licence's own extra rows, a QR code 二维码 that carries the whole signed credential
(``OT1:`` + base45, encoded in QR alphanumeric mode) with 扫码验真 and the online verification address, and a
footer saying the licence is electronically signed 电子签名 and verifiable offline. The machine-readable credential
rides along as the PDF attachment ``credential.json`` (document-level EmbeddedFiles), so the file alone verifies.

Libraries and font, all installed from PyPI by ``services/licence/pyproject.toml``:

* ``fpdf2`` (LGPL-3.0-only, used unmodified as a library): layout, TrueType subsetting and embedding, attachments.
  Its dependencies are fontTools (MIT), Pillow (MIT-CMU) and defusedxml (PSF).
* ``segno`` (BSD-3-Clause): the QR encoder, pure Python; we draw its module matrix as vector rectangles.
* ``paperang-p2-fonts-cjk`` (package MIT; the font inside is WenQuanYi Micro Hei 文泉驿微米黑 0.2.0-beta,
  Apache-2.0 per its own name table, upstream dual Apache-2.0 / GPLv3-with-font-exception): a 5 MB TrueType
  collection covering GBK and more. It is embedded as a subset (CIDFontType2 + /FontFile2, Identity-H), so the
  Chinese glyphs are drawn by any viewer, including one on a machine with no Chinese font. TrueType outlines were
  chosen over the CFF-based Noto Sans SC because the TrueType path is the most widely supported way to embed a CJK
  font and, in fpdf2, the longest-standing one. Glyphs outside the font (some CJK Extension B names) show as boxes.

The output is reproducible: the PDF's dates are the licence's date of issue, so one licence gives the same bytes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time
from importlib.resources import files
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import Align, PathPaintRule, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from contracts.days import CHINA_TZ
from credentials.carriers import PDF_ATTACHMENT
from credentials.multibase import BASE45_ALPHABET
from exchange.messages import Text
from licence.domain.messages import MESSAGES

__all__ = ["PrintableLicence", "label", "render_pdf"]

_QR_ALPHABET = frozenset(BASE45_ALPHABET)  # QR alphanumeric mode: base45 was made to fit it

_FONT_PACKAGE = "paperang_p2_fonts_cjk"
_FONT_FILE = ("fonts", "wqy-microhei.ttc")
_FONT = "wqy"  # face 0 of the collection: WenQuanYi Micro Hei (face 1 is its monospaced twin)

# Page geometry, in PDF points (1/72 inch). A4 is 595.28 × 841.89.
_MARGIN = 56.0
_FOOTER_HEIGHT = 58.0
_QR_TARGET = 190.0  # the widest the QR code may be; a 1800-character payload (version 29) gets 1.4 pt (0.49 mm) modules
_QR_MIN_MODULE = 1.0
_QR_MAX_MODULE = 3.0  # a short payload need not fill the target
_INK = (0, 0, 0)
_GREY = (90, 90, 90)
_RULE = (150, 150, 150)


@dataclass(frozen=True, slots=True)
class PrintableLicence:
    title_zh: str  # licence type name 证照名称, e.g. "出生医学证明"
    title_en: str  # e.g. "Birth medical certificate"
    number: str  # 证照编号
    holder_name: str  # 持证人, e.g. "张小明"
    holder_id_masked: str  # 证件号码, already masked, e.g. "430102********1234"
    issuer_name_zh: str  # 签发机关, e.g. "长沙市卫生健康委员会"
    issued_on: date
    valid_from: date
    valid_until: date | None  # None: long-term 长期
    fields: tuple[tuple[str, str], ...]  # extra rows ("zh-label English label", value), may be empty
    verify_url: str  # printed under the QR code: where to verify online
    qr_payload: str  # "OT1:" + base45, encoded in the QR code in alphanumeric mode
    credential_json: bytes  # attached as credential.json


def render_pdf(licence: PrintableLicence) -> bytes:
    """The licence as a printable A4 PDF, with its CJK font subset embedded and the credential attached."""
    qr = _qr_code(licence.qr_payload)  # before any layout: a bad payload fails fast
    created = datetime.combine(licence.issued_on, time(0), tzinfo=CHINA_TZ)

    pdf = _LicencePage(orientation="portrait", unit="pt", format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_FOOTER_HEIGHT + 12)
    pdf.add_font(_FONT, fname=_font_path(), collection_font_number=0)
    pdf.set_creation_date(created)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"{licence.title_zh} {licence.title_en} {licence.number}")
    pdf.set_subject(label(MESSAGES.text("printable_subject")))
    pdf.set_author(licence.issuer_name_zh)
    creator = MESSAGES.text("printable_creator")
    pdf.set_creator(f"{creator.en} {creator.zh}")
    pdf.embed_file(
        bytes=licence.credential_json, basename=PDF_ATTACHMENT, mime_type="application/json",
        modification_date=created, desc=label(MESSAGES.text("printable_attachment")),
    )
    pdf.add_page()

    _header(pdf, licence)
    _table(pdf, licence)
    _qr_block(pdf, qr, licence.verify_url)
    return bytes(pdf.output())


def _qr_code(payload: str) -> segno.QRCode:
    """The QR code of a payload: alphanumeric mode at level M, or L if M cannot hold it (no boosting, so the level
    printed is the level chosen)."""
    if not payload:
        raise ValueError("the QR payload is empty")
    if stray := sorted(set(payload) - _QR_ALPHABET):
        raise ValueError(f"the QR payload has characters outside QR alphanumeric mode: {''.join(stray)!r}")
    for error in ("M", "L"):
        try:
            return segno.make_qr(payload, error=error, mode="alphanumeric", boost_error=False)
        except segno.DataOverflowError:
            continue
    raise ValueError(f"the QR payload ({len(payload)} characters) does not fit a version 40 QR code at level L")


def _qr_module_size(modules: int) -> float:
    """The side of one QR module in points: as large as fits ``_QR_TARGET``, in tenths of a point so that every
    rectangle edge is exact in the PDF's two-decimal coordinates (no hairline seams between modules)."""
    return min(_QR_MAX_MODULE, max(_QR_MIN_MODULE, int(_QR_TARGET / modules * 10) / 10))


def _qr_runs(qr: segno.QRCode) -> list[tuple[int, int, int]]:
    """The dark modules as horizontal runs (row, first column, length): one rectangle per run keeps the page small."""
    runs: list[tuple[int, int, int]] = []
    for row, modules in enumerate(qr.matrix):
        start: int | None = None
        for column, value in enumerate([*modules, 0]):  # the sentinel closes a run at the right edge
            if value & 1 and start is None:
                start = column
            elif not value & 1 and start is not None:
                runs.append((row, start, column - start))
                start = None
    return runs


class _LicencePage(FPDF):
    """An FPDF whose every page ends with the electronic-signature statement."""

    def footer(self) -> None:
        top = self.h - _FOOTER_HEIGHT
        self.set_draw_color(*_RULE)
        self.set_line_width(0.5)
        self.line(_MARGIN, top, self.w - _MARGIN, top)
        self.set_xy(_MARGIN, top + 8)
        self.set_text_color(*_INK)
        self.set_font(_FONT, size=9.5)
        statement = MESSAGES.text("printable_footer")
        self.cell(self.epw, 14, statement.zh, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_GREY)
        self.set_font(_FONT, size=8)
        self.cell(self.epw, 12, statement.en, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


@functools.cache
def _font_path() -> Path:
    path = Path(str(files(_FONT_PACKAGE).joinpath(*_FONT_FILE)))
    if not path.is_file():  # e.g. the package installed zipped: fpdf2 needs a real file
        raise FileNotFoundError(f"the CJK font {'/'.join(_FONT_FILE)} of {_FONT_PACKAGE} is not a file: {path}")
    return path


def _header(pdf: FPDF, licence: PrintableLicence) -> None:
    pdf.set_text_color(*_GREY)
    pdf.set_font(_FONT, size=10)
    pdf.cell(pdf.epw, 16, label(MESSAGES.text("printable_heading")), align=Align.C, new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=26)
    pdf.multi_cell(pdf.epw, 34, licence.title_zh, align=Align.C, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
    pdf.set_text_color(*_GREY)
    pdf.set_font(_FONT, size=13)
    pdf.multi_cell(pdf.epw, 18, licence.title_en, align=Align.C, new_x=XPos.LMARGIN)
    pdf.ln(18)


def label(text: Text) -> str:
    """A label as the page prints it: zh-CN, then English ("证照编号 Licence No.")."""
    return f"{text.zh} {text.en}"


def _bracketed(text: Text) -> str:
    """A value as the page prints it: zh-CN, then English in brackets ("2024年3月1日 (2024-03-01)")."""
    return f"{text.zh} ({text.en})"


def _date(day: date) -> Text:
    return MESSAGES.text("printable_date", year=day.year, month=day.month, day=day.day)


def _validity(licence: PrintableLicence) -> Text:
    start = _date(licence.valid_from)
    if licence.valid_until is None:
        return MESSAGES.text("printable_valid_long_term", start=start)
    return MESSAGES.text("printable_valid_between", start=start, end=_date(licence.valid_until))


def _rows(licence: PrintableLicence) -> list[tuple[str, str]]:
    return [
        (label(MESSAGES.text("printable_number")), licence.number),
        (label(MESSAGES.text("printable_holder")), licence.holder_name),
        (label(MESSAGES.text("printable_holder_id")), licence.holder_id_masked),
        (label(MESSAGES.text("printable_issuer")), licence.issuer_name_zh),
        (label(MESSAGES.text("printable_issued_on")), _bracketed(_date(licence.issued_on))),
        (label(MESSAGES.text("printable_validity")), _bracketed(_validity(licence))),
        *licence.fields,
    ]


def _table(pdf: FPDF, licence: PrintableLicence) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.5)
    pdf.set_font(_FONT, size=11)
    label_style = FontFace(color=_GREY, fill_color=(243, 243, 243))
    with pdf.table(
        col_widths=(150, pdf.epw - 150), width=pdf.epw, first_row_as_headings=False, line_height=16,
        text_align=(Align.L, Align.L), v_align="M", wrapmode=WrapMode.CHAR, padding=(6, 8),
    ) as table:
        for label, value in _rows(licence):
            row = table.row()
            row.cell(label, style=label_style)
            row.cell(value)


def _qr_block(pdf: FPDF, qr: segno.QRCode, verify_url: str) -> None:
    modules = len(qr.matrix)
    module = _qr_module_size(modules)
    side = modules * module
    quiet = max(22, 4 * module)  # the QR quiet zone is four modules; more above, to part it from the table
    caption = 14 + 12 * 3  # 扫码验真 line plus up to three lines of address
    if pdf.get_y() + quiet + side + quiet + caption > pdf.page_break_trigger:
        pdf.add_page()  # keep the code and its caption together
    x0 = round(pdf.w - side) / 2  # centred, on a half point
    y0 = round((pdf.get_y() + quiet) * 2) / 2
    # One filled path of many rectangles, not a fill per rectangle: no anti-aliasing seams between modules.
    path = PaintedPath()
    path.style.paint_rule = PathPaintRule.FILL_NONZERO
    path.style.fill_color = "#000000"
    for row, column, length in _qr_runs(qr):
        path.rectangle(x0 + column * module, y0 + row * module, length * module, module)
    with pdf.drawing_context() as context:
        context.add_item(path, clone=False)  # ours alone: fpdf2's defensive deep copy would double the render time
    pdf.set_xy(_MARGIN, y0 + side + max(8, 4 * module))
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=11)
    pdf.cell(pdf.epw, 14, label(MESSAGES.text("printable_scan_to_verify")), align=Align.C, new_x=XPos.LMARGIN,
             new_y=YPos.NEXT)
    pdf.set_text_color(*_GREY)
    pdf.set_font(_FONT, size=8.5)
    link = verify_url if verify_url.startswith(("https://", "http://")) else None
    pdf.multi_cell(pdf.epw, 12, verify_url, align=Align.C, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, link=link)
