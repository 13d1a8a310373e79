"""The printable licence PDF: zh-CN text drawn with an embedded CJK font, the QR code, the attached credential."""

from __future__ import annotations

import io
import random
from datetime import date
from typing import Any, cast

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, StreamObject

from licence.adapters.printable import PrintableLicence, _qr_code, _qr_module_size, render_pdf

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
CREDENTIAL = '{"@context":["https://www.w3.org/ns/credentials/v2"],"credentialSubject":{"name":"张小明"}}'.encode()


def payload(length: int = 1800, seed: int = 7) -> str:
    """A QR payload as long as a real licence's: ``OT1:`` and base45-alphabet noise (which does not compress)."""
    rnd = random.Random(seed)
    return "OT1:" + "".join(rnd.choice(BASE45) for _ in range(length - 4))


def licence(**overrides: Any) -> PrintableLicence:
    values: dict[str, Any] = {
        "title_zh": "出生医学证明", "title_en": "Birth medical certificate", "number": "HN-2024-CS-0001234",
        "holder_name": "张小明", "holder_id_masked": "430102********1234", "issuer_name_zh": "长沙市卫生健康委员会",
        "issued_on": date(2024, 3, 1), "valid_from": date(2024, 3, 1), "valid_until": None,
        "fields": (("出生地点", "湖南省长沙市芙蓉区"), ("母亲姓名", "李华")),
        "verify_url": "https://zwfw.example.gov.cn/licence/verify?id=HN-2024-CS-0001234",
        "qr_payload": payload(), "credential_json": CREDENTIAL,
    }
    values.update(overrides)
    return PrintableLicence(**values)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf(licence())


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_page_is_a4_and_says_what_the_licence_is(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = text_of(pdf)
    for expected in (
        "出生医学证明", "Birth medical certificate", "HN-2024-CS-0001234", "张小明", "430102********1234",
        "长沙市卫生健康委员会", "2024年3月1日", "长期", "出生地点", "湖南省长沙市芙蓉区", "李华",
        "扫码验真 Scan to verify", "https://zwfw.example.gov.cn/licence/verify?id=HN-2024-CS-0001234",
        "本电子证照由签发机关电子签名，可离线验证",
    ):
        assert expected in text
    for label in ("证照编号", "持证人", "证件号码", "签发机关", "签发日期", "有效期"):
        assert label in text


def test_a_licence_that_ends_prints_its_end_date_not_long_term() -> None:
    text = text_of(render_pdf(licence(valid_until=date(2029, 2, 28))))
    assert "2024年3月1日至2029年2月28日" in text
    assert "长期" not in text


def test_the_credential_is_attached_byte_for_byte(pdf: bytes) -> None:
    assert PdfReader(io.BytesIO(pdf)).attachments["credential.json"] == [CREDENTIAL]


def test_the_cjk_font_is_embedded_as_a_subset(pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    resources = cast(DictionaryObject, page["/Resources"].get_object())
    fonts = [cast(DictionaryObject, font.get_object()) for font in cast(DictionaryObject, resources["/Font"]).values()]
    assert fonts
    to_unicode = b""
    for font in fonts:  # no font is left to the viewer, so nothing depends on the reader's own Chinese fonts
        assert str(font["/Subtype"]) == "/Type0"
        assert "+" in str(font["/BaseFont"])  # subset tag, ABCDEF+Name
        descendant = cast(DictionaryObject, cast(ArrayObject, font["/DescendantFonts"])[0].get_object())
        descriptor = cast(DictionaryObject, descendant["/FontDescriptor"].get_object())
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys())
        to_unicode += cast(StreamObject, font["/ToUnicode"].get_object()).get_data().upper()
    assert b"<51FA>" in to_unicode  # 出: the Chinese title is set in an embedded font


def drawn_qr(data: bytes, module: float) -> list[list[int]]:
    """The QR module matrix read back from the page's rectangles of one module high."""
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    rects = [
        [float(value) for value in operands]
        for operands, operator in ContentStream(page.get_contents(), reader).operations
        if operator == b"re" and abs(float(operands[3]) - module) < 1e-6
    ]
    assert rects
    x0, y0 = min(rect[0] for rect in rects), min(rect[1] for rect in rects)
    size = round((max(rect[1] for rect in rects) - y0) / module) + 1
    matrix = [[0] * size for _ in range(size)]
    for x, y, width, _ in rects:
        row, column, length = round((y - y0) / module), round((x - x0) / module), round(width / module)
        for offset in range(length):
            matrix[row][column + offset] = 1
    return matrix


def test_the_qr_code_drawn_is_the_payload_encoded_at_level_m(pdf: bytes) -> None:
    text = payload()
    expected = segno.make_qr(text, error="M", mode="alphanumeric", boost_error=False)
    assert expected.mode == "alphanumeric"
    assert expected.error == "M"
    assert isinstance(expected.version, int)
    assert expected.version <= 40
    module = _qr_module_size(len(expected.matrix))
    assert module >= 1.0  # ≥ 0.35 mm: printable and scannable
    assert drawn_qr(pdf, module) == [[value & 1 for value in row] for row in expected.matrix]


def test_a_payload_too_long_for_level_m_falls_back_to_level_l() -> None:
    assert _qr_code(payload(1800)).error == "M"
    assert _qr_code(payload(4000)).error == "L"  # version 40: M holds 3391 alphanumeric characters, L 4296
    with pytest.raises(ValueError, match="does not fit"):
        _qr_code(payload(4400))


@pytest.mark.parametrize("bad", ["", "OT1:lowercase", "OT1:ÄÖ", "OT1:{}"])
def test_a_payload_outside_qr_alphanumeric_mode_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="QR payload"):
        render_pdf(licence(qr_payload=bad))


def test_the_same_licence_gives_the_same_bytes(pdf: bytes) -> None:
    assert render_pdf(licence()) == pdf
    assert PdfReader(io.BytesIO(pdf)).metadata.creation_date.date() == date(2024, 3, 1)  # type: ignore[union-attr]


def test_many_rows_flow_onto_a_second_page_with_the_footer_on_each() -> None:
    rows = tuple((f"附加事项{n}", "本证明仅用于户籍登记等法定用途，不得转借、涂改。" * 3) for n in range(14))
    data = render_pdf(licence(fields=rows))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert "本电子证照由签发机关电子签名，可离线验证" in page.extract_text()
    assert "附加事项13" in text_of(data)


# Rasterising needs PDFium (pypdfium2) and decoding the QR code zxing-cpp: neither is a dependency of the project,
# so these run only where they are installed.


def test_the_chinese_title_is_actually_drawn(pdf: bytes) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    page = pdfium.PdfDocument(pdf)[0]
    found = page.get_textpage().search("出生医学证明").get_next()
    assert found is not None
    first, count = found
    boxes = [page.get_textpage().get_charbox(index) for index in range(first, first + count)]
    scale, height = 2, page.get_size()[1]
    left, bottom = min(box[0] for box in boxes), min(box[1] for box in boxes)
    right, top = max(box[2] for box in boxes), max(box[3] for box in boxes)
    image = page.render(scale=scale).to_pil().convert("L")
    title = image.crop((int(left * scale), int((height - top) * scale), int(right * scale), int((height - bottom) * scale)))
    dark = sum(title.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 0.05 * title.width * title.height  # strokes, not an empty box or a blank


def test_the_printed_qr_code_scans_back_to_the_payload(pdf: bytes) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pdfium.PdfDocument(pdf)[0].render(scale=2).to_pil()  # 144 dpi: a poor scan
    assert [result.text for result in zxingcpp.read_barcodes(image)] == [payload()]
