"""Bad input gets a clear InvalidDocument (a rejected report) and leaves nothing behind."""

import io
import zipfile

import pytest

from rag.errors import InvalidDocument
from rag.ingest.parsers import DocxParser, PdfParser, TxtParser
from rag.ingest.pipeline import Ingestor
from rag.ingest.validate import detect_kind
from rag.types import Principal
from tests.conftest import docx_bytes, make_docx, make_pdf
from tests.contracts.parser import ParserContract
from tests.fakes import HashEmbedder

ME = Principal("me")


@pytest.fixture
def ingestor(settings):
    from rag.backends.local.blobs import FilesystemBlobStore
    from rag.backends.local.index import LocalHybridIndex

    return Ingestor(settings, HashEmbedder(), LocalHybridIndex(settings), FilesystemBlobStore(settings))


def files_left(settings) -> list[str]:
    return [p.name for p in settings.blob_dir.rglob("*") if p.is_file()] if settings.blob_dir.exists() else []


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (3 * 2**20))  # 3 MB of zeros, a few KB packed
    return out.getvalue()


BAD_INPUTS = {
    "empty": ("empty.pdf", b"", "empty"),
    "encrypted": ("locked.pdf", make_pdf(password="secret"), "encrypted"),
    "blank pdf": ("blank.pdf", make_pdf(text_pages=False), "pages are blank"),
    "corrupt pdf": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF", "damaged"),
    "corrupt docx": ("broken.docx", b"PK\x03\x04" + b"\x00garbage" * 50, "damaged"),
    "zip not docx": ("notes.docx", b"", "not a Word"),  # filled below
    "zip bomb": ("bomb.docx", zip_bomb(), "zip bomb"),
    "binary txt": ("data.txt", bytes(range(256)) * 8, "binary"),
    "image": ("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image"),
    "path": ("../etc/passwd.txt", b"hello world", "path"),
    "windows path": ("C:\\temp\\a.txt", b"hello world", "path"),
    "extension lies": ("report.docx", make_pdf(), "named .docx but its content is a PDF"),
    "unsupported type": ("tool.exe", b"just some text", "not supported"),
    "oversized": ("big.txt", b"word " * 300_000, "limit"),
}
_zip = io.BytesIO()
with zipfile.ZipFile(_zip, "w") as _archive:
    _archive.writestr("readme.txt", "not a document")
BAD_INPUTS["zip not docx"] = ("notes.docx", _zip.getvalue(), "not a Word")


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_rejected_clearly_and_leaves_nothing(case, ingestor, settings):
    ingestor.settings = settings.model_copy(update={"max_upload_mb": 1.0, "max_unzipped_mb": 2.0})
    name, data, message = BAD_INPUTS[case]
    report = ingestor.ingest(name, data, ME)
    assert report.status == "rejected"
    assert message.lower() in report.error.lower(), report.error
    assert files_left(settings) == []
    assert ingestor.index.documents(ME) == []


def test_pdf_encrypted_with_empty_user_password_is_read(ingestor):
    report = ingestor.ingest("owner-only.pdf", make_pdf(password=""), ME)
    assert report.status == "indexed" and report.pages == 2


def test_same_bytes_twice_is_one_document_and_changed_file_replaces(ingestor, settings):
    first = ingestor.ingest("notes.txt", b"The needle is in the haystack.", ME)
    again = ingestor.ingest("copy.txt", b"The needle is in the haystack.", ME)
    assert (first.status, again.status, again.doc_id) == ("indexed", "unchanged", first.doc_id)
    changed = ingestor.ingest("notes.txt", b"Now the needle is gone.", ME)
    assert (changed.status, changed.doc_id) == ("replaced", first.doc_id)
    assert [c.text for c in ingestor.index.chunks(first.doc_id, ME)] == ["Now the needle is gone."]
    assert len(files_left(settings)) == 4  # original + pages of the one current version (+ metadata)


def test_type_comes_from_content_not_extension():
    assert detect_kind("report", make_pdf()) == "pdf"
    assert detect_kind("notes.md", "Überschrift café".encode()) == "txt"
    assert detect_kind("letter.docx", make_docx()) == "docx"


class TestPdfParser(ParserContract):
    expected = "Libtasn1"

    @pytest.fixture
    def parser(self):
        return PdfParser()

    @pytest.fixture
    def sample(self):
        return make_pdf()

    @pytest.fixture
    def garbage(self):
        return b"%PDF-1.4 nothing else"


class TestDocxParser(ParserContract):
    @pytest.fixture
    def parser(self):
        return DocxParser()

    @pytest.fixture
    def sample(self):
        return make_docx()

    @pytest.fixture
    def garbage(self):
        return b"PK\x03\x04broken"

    def test_headings_become_sections_and_tables_rows(self, parser):
        data = make_docx(
            [("Heading 1", "Scope"), ("Normal", "First part."), ("Heading 2", "Details"), ("Normal", "Second.")],
            table=[["Name", "Value"], ["alpha", "42"]],
        )
        pages = list(parser.parse(data))
        assert [(p.number, p.section) for p in pages] == [(1, "Scope"), (2, "Details")]
        assert pages[0].text == "Scope\n\nFirst part."
        assert "alpha | 42" in pages[1].text

    def test_each_paragraph_and_table_row_is_a_unit_of_its_own(self, parser):
        """A list item or a table row has no end punctuation: set apart by a blank line, as a text file's paragraphs
        are, it does not run on into the next one as one sentence."""
        from rag.text import sentence_spans

        data = make_docx([("Normal", "Never destroyed without approval:"), ("List Bullet", "records under a legal hold"),
                          ("List Bullet", "records older than 50 years"), ("Normal", "")],
                         table=[["Record type", "Retention period"], ["Invoices", "7 years"], ["CCTV footage", "30 days"]])
        text = next(iter(parser.parse(data))).text
        assert [text[a:b] for a, b in sentence_spans(text)] == [
            "Never destroyed without approval:", "\u2022 records under a legal hold", "\u2022 records older than 50 years",
            "Record type | Retention period", "Invoices | 7 years", "CCTV footage | 30 days"]

    def test_a_list_item_shows_its_bullet_so_a_short_capitalised_one_is_no_heading(self, parser):
        """"Share passwords with anyone", an item of "staff must not:", had been read as a title line."""
        from rag.text import heading_spans

        data = make_docx([("Normal", "Staff must not:"), ("List Bullet", "Install unlicensed software"),
                          ("List Number", "Share passwords with anyone"), ("Heading 1", "Reporting"),
                          ("Normal", "Short capitalised line"), ("Normal", "Report incidents at once.")])
        pages = list(parser.parse(data))
        assert pages[0].text == "Staff must not:\n\n\u2022 Install unlicensed software\n\n\u2022 Share passwords with anyone"
        assert heading_spans(pages[0].text) == []
        assert pages[1].text.startswith("Reporting\n\nShort capitalised line")  # a heading keeps no bullet


    def test_an_archive_that_needs_a_later_zip_format_is_damaged(self, parser):
        """Found by tests/security/test_fuzz.py: a central directory entry whose "version needed to extract" is 7.9
        made zipfile raise NotImplementedError("zip file version 7.9") while listing the archive, a crash."""
        data = bytearray(make_docx())
        entry = data.index(b"PK\x01\x02")  # the first central directory entry; its version needed at offset 6
        data[entry + 6:entry + 8] = (79).to_bytes(2, "little")
        with pytest.raises(InvalidDocument, match="damaged"):
            list(parser.parse(bytes(data)))

    def test_a_page_laid_out_in_tables_is_read_whole_each_paragraph_a_unit(self, parser):
        """A web page pasted into Word keeps its layout tables: its text sits in a table inside a table's cell, which
        python-docx's cell text leaves out (libxslt's "Library internals" page read 107 characters of 19,000)."""
        import docx

        document = docx.Document()
        outer = document.add_table(rows=1, cols=2)
        outer.cell(0, 0).text = "Home | Downloads"
        inner = outer.cell(0, 1).add_table(rows=1, cols=1)
        box = inner.cell(0, 0)
        box.paragraphs[0].text = "Basics"
        box.paragraphs[0].style = document.styles["Heading 2"]
        box.add_paragraph("XSLT is a transformation language.")
        box.add_paragraph("It takes an input document and a stylesheet")
        document.add_paragraph("After the page.")
        data_table = document.add_table(rows=2, cols=2)
        for r, row in enumerate([["Tier", "Platform"], ["1", "Linux"]]):
            for c, value in enumerate(row):
                data_table.cell(r, c).text = value
        pages = list(parser.parse(docx_bytes(document)))
        assert [p.section for p in pages] == ["", "Basics"]
        assert "Home | Downloads" in pages[0].text
        assert pages[1].text.split("\n\n") == ["Basics", "XSLT is a transformation language.",
                                               "It takes an input document and a stylesheet", "After the page.",
                                               "Tier | Platform", "1 | Linux"]


    def test_what_word_shows_beyond_runs_is_read_and_a_deletion_is_not(self, parser):
        """python-docx's paragraph text reads runs and links only: a tracked insertion, a content control (a cover
        page's title, a form field) and a text box were lost; a text box is written twice (drawing and fallback)."""
        import docx
        from docx.oxml import parse_xml

        w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        document = docx.Document()
        paragraph = document.add_paragraph("Retention is ")
        paragraph._p.append(parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t>seven</w:t></w:r></w:ins>'))
        paragraph._p.append(parse_xml(f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText>five</w:delText></w:r></w:del>'))
        paragraph.add_run(" years.")
        document.element.body.insert(0, parse_xml(
            f'<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Records Policy 2026</w:t></w:r></w:p>'
            '</w:sdtContent></w:sdt>'))
        box = '<w:txbxContent><w:p><w:r><w:t>Ask the records officer first.</w:t></w:r></w:p></w:txbxContent>'
        document.add_paragraph("See the box.")._p.append(parse_xml(
            f'<w:r {w} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
            f'<wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape>'
            f'<v:textbox>{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>'))
        text = next(iter(parser.parse(docx_bytes(document)))).text
        assert text.split("\n\n") == ["Records Policy 2026", "Retention is seven years.", "See the box.",
                                       "Ask the records officer first."]

    def test_footnotes_and_endnotes_close_the_section_that_refers_to_them(self, parser):
        """A Word document's notes (word/footnotes.xml, word/endnotes.xml) were not read at all: Node.js's "Building"
        guide lost why its Linux binaries need glibc 2.28. Word numbers them in order of reference, footnotes 1, 2
        and endnotes i, ii; one note referred to twice (pandoc writes it once per reference) is read once."""
        import docx
        from docx.oxml import parse_xml

        w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        document = docx.Document()
        document.add_paragraph("Platforms", style="Heading 1")
        for words, refs in (("Linux is tier 1.", [("footnote", 7), ("footnote", 9)]), ("AIX is tier 2.", [("endnote", 3)]),
                            ("Both need a kernel.", [("footnote", 7)])):
            paragraph = document.add_paragraph(words)
            for kind, number in refs:
                paragraph._p.append(parse_xml(f'<w:r {w}><w:{kind}Reference w:id="{number}"/></w:r>'))
        document.add_paragraph("Building", style="Heading 1")
        document.add_paragraph("Run make.")

        def notes(kind, items):
            body = "".join(f'<w:{kind} w:id="{number}"><w:p><w:r><w:{kind}Ref/></w:r><w:r><w:t xml:space="preserve"> '
                           f'{text}</w:t></w:r></w:p></w:{kind}>' for number, text in items)
            return f'<w:{kind}s {w}><w:{kind} w:type="separator" w:id="-1"><w:p/></w:{kind}>{body}</w:{kind}s>'

        parts = {"word/footnotes.xml": notes("footnote", [(7, "Binaries need glibc 2.28."), (9, "Musl is experimental.")]),
                 "word/endnotes.xml": notes("endnote", [(3, "AIX builds use GCC 10.")])}
        source = zipfile.ZipFile(io.BytesIO(docx_bytes(document)))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == "[Content_Types].xml":
                    data = data.decode().replace("</Types>", "".join(
                        f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-officedocument.'
                        f'wordprocessingml.{name[5:-4]}+xml"/>' for name in parts) + "</Types>")
                elif info.filename == "word/_rels/document.xml.rels":
                    data = data.decode().replace("</Relationships>", "".join(
                        f'<Relationship Id="rIdNote{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        f'relationships/{name[5:-4]}" Target="{name[5:]}"/>' for i, name in enumerate(parts))
                        + "</Relationships>")
                target.writestr(info, data)
            for name, xml in parts.items():
                target.writestr(name, xml)
        pages = list(parser.parse(out.getvalue()))
        assert [p.section for p in pages] == ["Platforms", "Building"]
        assert pages[0].text.split("\n\n") == ["Platforms", "Linux is tier 1.", "AIX is tier 2.", "Both need a kernel.",
                                                "Note 1: Binaries need glibc 2.28.", "Note 2: Musl is experimental.",
                                                "Note i: AIX builds use GCC 10."]
        assert pages[1].text == "Building\n\nRun make."


class TestTxtParser(ParserContract):
    @pytest.fixture
    def parser(self):
        return TxtParser()

    @pytest.fixture
    def sample(self):
        return b"first page with a needle\fsecond page"

    @pytest.fixture
    def garbage(self):
        return b"\x00\x01\x02" * 100

    @pytest.mark.parametrize("data", [
        "café needle".encode("utf-8-sig"), "café needle".encode("utf-16"), "café needle".encode("cp1252"),
        "café needle".encode(),
    ])
    def test_encodings(self, parser, data):
        assert [p.text for p in parser.parse(data)] == ["café needle"]

    def test_form_feeds_split_pages(self, parser):
        assert [p.text for p in parser.parse(b"one\r\ntwo\fthree")] == ["one\ntwo", "three"]

    def test_a_terminals_formatting_is_read_as_the_terminal_shows_it(self, parser):
        """man-db's manual ships as nroff's output: bold and italic codes ("\x1b[1m"), underlined and bold characters
        struck over ("m\bm", "m\b_") and bullets ("+\bo"). They were indexed as they were ("1mman", "+\x08o gdbm"), and
        quoted with the control characters in them."""
        data = (b"\x1b[1mman-db\x1b[0m uses \x1b[4mgdbm\x1b[24m\n +\x08o b\x08bo\x08ol\x08ld\x08d and _\x08u\x08_\n"
                b"see \x1b]8;;https://example.org\x1b\\the site\x1b]8;;\x1b\\.")
        assert [p.text for p in parser.parse(data)] == ["man-db uses gdbm\n \u2022 bold and u\nsee the site."]
        assert [p.text for p in parser.parse(b"a\\b and \\x1b stay as typed")] == ["a\\b and \\x1b stay as typed"]

    def test_an_info_manual_is_text(self, parser):
        """An Info manual (grep.info, unpacked) separates its nodes with "\x1f" and marks its index node with
        "\x00\x08[index\x00\x08]": a trace of control characters in text. Its NULs made it "binary data", refused."""
        data = (b"This is grep.info, produced by makeinfo.\n\n\x1f\nFile: grep.info,  Node: Top\n\ngrep\n****\n\n"
                b"It prints lines that match.\n\x1f\nFile: grep.info,  Node: Index\n\n\x00\x08[index\x00\x08]\n"
                b"* Menu:\n")
        assert detect_kind("grep-info.txt", data) == "txt"
        [page] = parser.parse(data)
        assert "\x00" not in page.text and "\n[index]\n* Menu:" in page.text and "It prints lines" in page.text

    @pytest.mark.parametrize("name", ["quickstart.rst", "git-subtree.adoc", "notes.md"])
    def test_plain_text_under_its_own_names_is_text(self, name):
        """A Sphinx manual's .rst and git's .adoc sources were refused ("Files of type .rst are not supported")."""
        assert detect_kind(name, b"Quickstart\n==========\n\nEager to get started?\n") == "txt"

    @pytest.mark.parametrize("data", ["needle in utf-16 without a mark".encode("utf-16-le"), b"\x00" * 64 + b"x" * 64])
    def test_nuls_throughout_are_binary(self, parser, data):
        with pytest.raises(InvalidDocument, match="binary"):
            list(parser.parse(data))
        with pytest.raises(InvalidDocument, match="binary"):
            detect_kind("data.txt", data)
