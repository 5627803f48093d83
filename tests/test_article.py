import datetime as dt
import re

import pytest

from summarize._article import Article, read_article
from summarize._errors import InputError

# SYNTHETIC: the smallest well-formed PDF (no pages), written for the tests. It is all
# ASCII, so it decodes as text: only its first bytes say it is not an article.
SYNTHETIC_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)


def test_leading_date_line_becomes_the_date(seed_text):
    article = Article.from_text(seed_text)
    assert article.date == dt.date(2025, 2, 13)
    assert article.text.startswith("US President Donald Trump revealed Wednesday")


def test_text_without_a_date_line_is_kept_whole():
    article = Article.from_text("date night in Paris was fun.")
    assert article.date is None and article.text == "date night in Paris was fun."


def test_reads_utf8_utf16_and_latin1(tmp_path):
    text = "Zelensky met Mar\u00eda in M\u00fcnchen."
    for encoding in ("utf-8", "utf-16", "cp1252"):
        path = tmp_path / f"a-{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        assert read_article(path).text == text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"  \n\t\n ", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "is not text"),
        (bytes(range(256)) * 4, "is not text"),
    ],
)
def test_unusable_files_are_input_errors(tmp_path, content, message):
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_article(path)


def test_a_pdf_is_refused_though_its_bytes_decode_as_text(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(SYNTHETIC_PDF)
    assert SYNTHETIC_PDF.decode("utf-8")  # it would pass for text
    with pytest.raises(InputError, match=r"report\.pdf is not text but a PDF: extract its text"):
        read_article(path)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "a ZIP archive (or a .docx"),
        (b"{\\rtf1\\ansi Trump called Putin on Wednesday.}", "an RTF document"),
    ],
)
def test_other_documents_are_refused_by_their_first_bytes(tmp_path, content, kind):
    path = tmp_path / "article.txt"  # the name does not matter, the bytes do
    path.write_bytes(content)
    with pytest.raises(InputError, match=rf"is not text but {re.escape(kind)}"):
        read_article(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_article(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_article(tmp_path)


def test_an_html_page_has_its_article_extracted_not_read_as_text(tmp_path):
    page = tmp_path / "page.html"
    story = " ".join(["The council voted to close the bridge for repairs."] * 12)
    page.write_text(
        "<!DOCTYPE html><html><head><script>track()</script></head>"
        f"<body><nav>Home</nav><article><p>{story}</p></article></body></html>"
    )
    article = read_article(page)
    assert article.text.startswith("The council voted") and "track()" not in article.text
