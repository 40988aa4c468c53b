"""The extractive reader with its fitted weights and the real local embedder: it quotes the passage
that answers, in context, or refuses with related passages when no passage can answer."""

from __future__ import annotations

import re

import pytest

from rag.backends.local.extractive import DANGLING, FEATURES, OFF_TOPIC, ExtractiveChatModel, as_read, weights
from rag.backends.local.passage import emphasis, passages, synopsis_line, title_line
from rag.backends.local.question import counts, read_question
from rag.prompt import NOT_FOUND
from rag.protocols import ChatRequest
from rag.settings import Settings
from rag.text import squash
from rag.types import Assessment, Chunk, Hit, Turn

GLOBS = ("Applications may also define their own glob patterns. There is also an optional weight attribute which "
         "is used when resolving conflicts with other glob matches. The default weight value is 50, and the maximum "
         "is 100. Patterns are matched case-insensitively.")
GLOB_FILE = ("2.4. The glob files\nThe glob file is a simple list of lines containing a MIME type and pattern, "
             "separated by a colon. It is deprecated in favour of the globs2 file which also lists the weight of the "
             "glob rule.")
LIMITS = ("The size of a name is limited. ASN1_MAX_NAME_SIZE is the longest name a node may have, in characters. "
          "Longer names are rejected when the definitions are parsed.")


def hit(text: str, n: int = 0, title: str = "spec.pdf") -> Hit:
    chunk = Chunk(f"d:{n}", "d", text, page=1, start=0, end=len(text), title=title, owner="u")
    return Hit(chunk, score=1.0 / (n + 1), bm25_rank=n + 1, vector_rank=n + 1)


@pytest.fixture(scope="module")
def reader(local_embedder):
    return ExtractiveChatModel(Settings(), local_embedder)


def answer(reader, question: str, *texts: str, titles: tuple[str, ...] = ()) -> tuple[str, Assessment]:
    hits = [hit(t, i, titles[i] if titles else "spec.pdf") for i, t in enumerate(texts)]
    parts = list(reader.stream(ChatRequest(question, hits)))
    assessments = [p for p in parts if isinstance(p, Assessment)]
    assert len(assessments) == 1 and parts[-1] is assessments[0]  # one Assessment, after the text
    return "".join(p for p in parts if isinstance(p, str)), assessments[0]


def test_the_weights_are_fitted_for_these_features() -> None:
    model = weights()
    assert tuple(model["features"]) == FEATURES and len(model["sentence"]["weights"]) == len(FEATURES)
    assert 0.0 <= model["threshold"] <= 1.0 and "dev half" in model["note"]


def test_a_number_question_is_answered_by_the_sentence_with_the_number(reader) -> None:
    text, assessment = answer(reader, "How heavily is a glob weighted if the file gives no weight?", GLOBS)
    assert "50" in text and text.endswith("[1]")
    assert any("50" in phrase for phrase in assessment.emphasis)  # the answering phrase, for the chat's bold
    assert 0.0 < assessment.confidence <= 1.0


def test_the_head_of_a_sentence_the_chunks_end_cut_is_never_quoted(reader) -> None:
    """git-subtree's manual: a chunk ended on "... are guaranteed to be identical (i.e. to produce the same commit IDs)
    as long as the", and the reader quoted it, alone and as the end of a window. A chunk that ends on a whole
    sentence, or on a line of its own (a command), keeps it."""
    cut = ("After splitting, one commit ID is printed to stdout. This corresponds to the HEAD of the new tree. "
           "Repeated splits of the same history are guaranteed to be identical as long as the")
    text, _ = answer(reader, "What does a successful split print?", cut)
    assert "commit ID is printed to stdout" in text and "as long as the" not in text
    read = passages([hit(cut)])[1]
    assert read.fragment(len(read.spans) - 1) and not read.fragment(0)
    whole = passages([hit("After splitting, one commit ID is printed to stdout. Then push it with\n\n$ git push")])[1]
    assert not any(whole.fragment(i) for i in range(len(whole.spans)))


def test_a_dangling_sentence_is_quoted_with_the_one_before(reader) -> None:
    text, _ = answer(reader, "Which file replaced the old list of type patterns, and why?", GLOB_FILE)
    if text.startswith(NOT_FOUND):
        pytest.fail("the reader refused a question its source answers")
    assert "deprecated in favour of the globs2 file" in text
    assert "The glob file is a simple list" in text  # what "It" is
    assert "2.4. The glob files" not in text  # the heading is not glued to the sentence


def test_an_existential_there_points_back_at_nothing(reader) -> None:
    """"There is also an optional weight attribute ..." introduces something; it does not need the sentence
    before it, which here is the tail of one the chunk cut (the app quoted it for "default weight")."""
    chunk = ("MIME type (subject to conflicting rules in other files, of course). There is also an optional weight "
             "attribute which is used when resolving conflicts with other glob matches. The default weight value is "
             "50, and the maximum is 100. KDE's glob system replaces the ext and regex fields of the others.")
    read = reader.read(ChatRequest("What is the default weight of a glob pattern?", [hit(chunk)]))
    assert read.candidates[0].text.startswith("The default weight value is 50")
    quoted = [c.text for c in read.answer]
    assert quoted[0].startswith("There is also") and quoted[-1].startswith("KDE"), quoted
    assert DANGLING.match("There, the value is kept.") and not DANGLING.match("There are three kinds.")


def test_a_chunk_that_starts_with_a_list_item_can_quote_it(reader) -> None:
    """A chunk that starts mid-page at a bullet ("• A magic-deleteall element ...") or in lower case
    ("gunzip can ...", as man pages do) was not cut mid-sentence; one that starts with the closing
    punctuation of a cut sentence ("), from previous directories ...") was."""
    text = ("• A magic-deleteall element, which indicates that magic matches from previously parsed directories "
            "must be discarded. The magic defined in this file (if any) is used instead.")
    chunk = Chunk("d:1", "d", text, page=5, start=26, end=26 + len(text), title="spec.pdf", owner="u")
    read = reader.read(ChatRequest("What does a magic-deleteall element indicate?", [Hit(chunk, 1.0, 1, 1)]))
    assert any("must be discarded" in c.text for c in read.candidates)
    cut = Chunk("d:2", "d", "), from previous directories is written out as it is. " + text[2:], page=5,
                start=900, end=900 + len(text), title="spec.pdf", owner="u")
    read = reader.read(ChatRequest("What does a magic-deleteall element indicate?", [Hit(cut, 1.0, 1, 1)]))
    assert read.candidates and not any("written out as it is" in c.text for c in read.candidates)
    lower = "gunzip can currently decompress files created by gzip, zip, compress, compress -H or pack."
    chunk = Chunk("d:3", "d", lower, page=1, start=2187, end=2187 + len(lower), title="gzip.1.txt", owner="u")
    read = reader.read(ChatRequest("Which files can gunzip currently decompress?", [Hit(chunk, 1.0, 1, 1)]))
    assert [c.text for c in read.candidates] == [lower]
    wrapped = ("of your accepting any such warranty or additional liability. END OF TERMS AND CONDITIONS. "
               "To apply the License to your work, attach the boilerplate notice.")
    chunk = Chunk("d:4", "d", wrapped, page=1, start=9000, end=9000 + len(wrapped), title="Apache-2.0.txt", owner="u")
    read = reader.read(ChatRequest("How do I apply the License to my work?", [Hit(chunk, 1.0, 1, 1)]))
    assert read.candidates and not any("your accepting" in c.text for c in read.candidates)  # a wrapped line's tail
    modal = ("must just be created with function asn1_create_element() . If ASN1_DECODE_FLAG_ALLOW_PADDING flag is "
             "set then the function will ignore padding after the decoded DER data.")
    chunk = Chunk("d:5", "d", modal, page=22, start=700, end=700 + len(modal), title="libtasn1.pdf", owner="u")
    read = reader.read(ChatRequest("Which flag makes the DER decoder ignore padding?", [Hit(chunk, 1.0, 1, 1)]))
    assert read.candidates and not any(c.text.startswith("must") for c in read.candidates)  # "The structure\nmust ..."


def test_a_sentence_that_points_back_is_quoted_with_what_it_points_at(reader) -> None:
    """ "... introduced for this purpose." is quoted with the sentence that says what the purpose is, even when
    the reader's best sentence is the one after it."""
    text = ("Traditional MIME types apply to individual files or bytestreams. It is often useful to apply the same "
            "methodologies when classifying the content of mountable volumes or filesystems. The x-content type has "
            "been introduced for this purpose. Typical examples are x-content/audio-dvd, x-content/blank-cd or "
            "x-content/image-dcf. Matching of content types works with treemagic elements.")
    read = reader.read(ChatRequest("What is the x-content media type meant for?", [hit(text)]))
    quoted = " ".join(c.text for c in read.answer)
    assert "introduced for this purpose" in quoted and "mountable volumes or filesystems" in quoted, quoted
    assert len(reader.passage(read)) <= Settings().answer_sentences  # the runner-up may follow, cited apart


def test_a_value_that_is_named_but_never_given_is_refused(reader) -> None:
    text, assessment = answer(reader, "What is the numeric value of ASN1_MAX_NAME_SIZE?", LIMITS, GLOBS)
    assert text == NOT_FOUND
    assert assessment.confidence == 0.0 and assessment.related  # the closest passages, shown as related
    assert set(assessment.related) <= {1, 2}
    assert assessment.reason == "no passage gives a number"  # the inspector says why


def test_a_number_the_question_states_itself_gives_no_value(reader) -> None:
    """"How many zero bytes ...": a sentence whose only number is the question's own "zero" does not give the
    count; one that states it does."""
    sparse = ("Specify --sparse=always to create a sparse DEST file whenever the SOURCE file contains a long enough "
              "sequence of zero bytes.")
    question = "With cp --sparse=always, how many zero bytes in a row must a source file contain to get a hole?"
    text, assessment = answer(reader, question, sparse, GLOBS)
    assert text == NOT_FOUND and assessment.confidence == 0.0
    reading = reader.read(ChatRequest(question, [hit(sparse, 0, "cp.1.txt"), hit(GLOBS, 1)]))
    assert "no passage gives a number" in reading.gate
    given = sparse.replace("a long enough sequence of", "a sequence of at least 512")
    assert not reader.read(ChatRequest(question, [hit(given, 0, "cp.1.txt"), hit(GLOBS, 1)])).gate


def test_a_window_at_the_edge_of_its_section_reads_on_or_back(reader) -> None:
    """The best sentence opens its chunk: the window's third sentence is the one after next, not nothing (the
    QA dev half's "Does asn1_decode_simple_der allocate a fresh copy ..." is answered two sentences on). One
    that closes its chunk reads back two."""
    doc = ("The function asn1_decode_simple_der decodes a simple DER encoded type such as a string. "
           "It does not handle constructed types. The output is a pointer inside the der buffer. "
           "Unrelated closing remarks follow here.")
    read = reader.read(ChatRequest("What does asn1_decode_simple_der decode?", [hit(doc)]))
    assert read.candidates[0].position == 0
    quoted = " ".join(c.text for c in read.answer)
    assert [c.position for c in read.answer] == [0, 1, 2] and "pointer inside" in quoted, quoted
    # ... and one that closes its chunk reads back
    doc = ("Backups are named in one of three ways. Numbered backups end in a number. "
           "The backup naming method can be set with the VERSION_CONTROL environment variable.")
    read = reader.read(ChatRequest("Which environment variable sets how backups are named?", [hit(doc)]))
    assert read.candidates[0].position == 2
    assert [c.position for c in read.answer] == [0, 1, 2], [c.text for c in read.answer]


def test_a_man_pages_name_line_is_not_quoted(reader) -> None:
    """"tail - output the last part of files" is the page's title: close in meaning to every question about tail,
    the answer to none of them. The option line that answers is quoted instead."""
    page = ("tail - output the last part of files\n\n"
            "-n, --lines=[+]NUM output the last NUM lines, instead of the last 10; or use -n +NUM to output starting "
            "with line NUM")
    read = reader.read(ChatRequest("With tail, how do I print a file from line 200 to the end?", [hit(page, 0, "tail.1.txt")]))
    assert read.candidates and not any(c.text.startswith("tail - ") for c in read.candidates)
    assert title_line("gzip, gunzip, zcat - compress or expand files", "gzip.1.txt")
    assert not title_line("tail - output the last part of files", "head.1.txt")  # another page's name: a sentence
    assert not title_line("-n, --lines=NUM output the last NUM lines", "tail.1.txt")


def test_how_to_use_a_program_whose_manual_page_is_read_is_answered_by_an_option(reader) -> None:
    """A manual page answers "how do I ..." with an option line, not with the page's description of the program."""
    page = ("Print the last 10 lines of each FILE to standard output. With more than one FILE, precede each with a "
            "header giving the file name.\n\n-f, --follow output appended data as the file grows;\n\n"
            "-n, --lines=[+]NUM output the last NUM lines, instead of the last 10; or use -n +NUM to output starting "
            "with line NUM")
    question = "With tail, how do I print a file from line 200 through to the end?"
    reading = reader.read(ChatRequest(question, [hit(page, 0, "tail.1.txt")]))
    assert reading.wanted == "usage" and reading.candidates[0].text.startswith("-")
    notes = reader.read(ChatRequest(question, [hit(page, 0, "notes.txt")]))  # no manual page read
    assert notes.wanted is None and notes.candidates[0].text.startswith("Print the last 10 lines")
    assert reader.read(ChatRequest("With tail, why is the output late?", [hit(page, 0, "tail.1.txt")])).wanted is None


def test_a_description_under_its_option_line_holds_that_option(reader) -> None:
    """sed's page sets "-i[SUFFIX], --in-place[=SUFFIX]" on a line of its own, the description below it: the
    description stands for the option, for a "which switch" question and for a "how do I" one."""
    page = ("-n, --quiet, --silent\n\nsuppress automatic printing of pattern space\n\n-i[SUFFIX], --in-place[=SUFFIX]\n\n"
            "edit files in place (makes backup if SUFFIX supplied)\n\n-l N, --line-length=N\n\n"
            "specify the desired line-wrap length for the `l' command")
    reading = reader.read(ChatRequest("Which switch makes sed edit files in place?", [hit(page, 0, "sed.1.txt")]))
    assert not reading.gate and reading.candidates[0].text.startswith("edit files in place")
    quoted = " ".join(c.text for c in reading.answer)
    assert "-i[SUFFIX]" in quoted and "-l N" not in quoted  # the next option's line starts another entry
    reading = reader.read(ChatRequest("How do I have sed change a file directly?", [hit(page, 0, "sed.1.txt")]))
    assert reading.wanted == "usage" and all(c.features["typed_hit"] == 1.0 for c in reading.candidates)
    passage = reading.passages[1]
    assert [passage.term(i) for i in range(len(passage.spans))] == [
        "", "-n, --quiet, --silent", "", "-i[SUFFIX], --in-place[=SUFFIX]", "", "-l N, --line-length=N"]
    assert [passage.opens_entry(i) for i in range(len(passage.spans))] == [True, False, True, False, True, False]


def test_an_option_entry_is_quoted_alone_where_option_and_description_share_a_line(reader) -> None:
    """ls's page sets most options and their descriptions on one line ("-t     sort by time"): the quote is the
    entry that answers, without the entries around it."""
    page = ("--time-style=TIME_STYLE\n\ttime/date format with -l; see TIME_STYLE below\n\n-t     sort by time, newest "
            "first; see --time\n\n-T, --tabsize=COLS\n\tassume tab stops at each COLS instead of 8\n\n"
            "--help display this help and exit")
    reading = reader.read(ChatRequest("How do I sort ls output by modification time?", [hit(page, 0, "ls.1.txt")]))
    assert [c.text for c in reading.answer] == ["-t     sort by time, newest first; see --time"]
    passage = reading.passages[1]
    assert [passage.opens_entry(i) for i in range(len(passage.spans))] == [True, True, True, True]
    prose = reader.read(ChatRequest("Why sort?", [hit("Sorting takes time.  It is -t that sorts by it.", 0)])).passages[1]
    assert not any(prose.opens_entry(i) for i in range(len(prose.spans)))


def test_a_man_page_says_how_with_an_option_or_an_environment_setting(reader) -> None:
    """sort's page answers "how can I sort by raw bytes" with "Set LC_ALL=C ...", no option: a setting is evidence."""
    page = ("*** WARNING *** The locale specified by the environment affects sort order.  Set LC_ALL=C to get the "
            "traditional sort order that uses native byte values.\n\n-f, --ignore-case fold lower case to upper case")
    reading = reader.read(ChatRequest("With sort, how can I order lines by raw bytes whatever the language settings?",
                                      [hit(page, 0, "sort.1.txt")]))
    by_text = {c.text: c.features for c in reading.candidates}
    setting = next(t for t in by_text if t.startswith("Set LC_ALL=C"))
    assert reading.wanted == "usage" and by_text[setting]["typed_hit"] == 1.0 and by_text[setting]["typed_miss"] == 0.0


def test_the_emphasised_phrase_stays_within_one_quoted_sentence(reader) -> None:
    """uniq's answer quoted "-c, --count prefix lines by the number of occurrences" and then a runner-up entry: read
    as one text, the emphasis was "... occurrences -d", which the chat (a citation between them) could not bold."""
    page = "-c, --count\n\tprefix lines by the number of occurrences\n\n-d, --repeated\n\tonly print duplicate lines"
    reading = reader.read(ChatRequest("How can uniq count how many times each line occurs?", [hit(page, 0, "uniq.1.txt")]))
    entries = sorted(reading.candidates, key=lambda c: c.position)  # both entries quoted, as in the app
    phrases = emphasis(reading.question, squash(entries[0].text), as_read(entries))
    assert phrases == ["--count prefix lines by the number of occurrences"]


def test_a_man_pages_synopsis_is_never_quoted() -> None:
    """wc's SYNOPSIS ("wc [OPTION]... [FILE]...") was quoted for "How do I count only the words in a file with wc?"."""
    assert synopsis_line("wc [OPTION]...", "wc.1.txt") and synopsis_line("[FILE]... wc [OPTION]... --files0-from=F", "wc.1.txt")
    assert not synopsis_line("wc [OPTION]...", "notes.txt")  # no manual page: no synopsis
    assert not synopsis_line("-n, --lines=[-]NUM", "head.1.txt") and not synopsis_line("wc prints [counts] of words", "wc.1.txt")


def test_a_runner_up_description_comes_with_its_option_line(local_embedder) -> None:
    """timeout's page sets "-s, --signal=SIGNAL" above "specify the signal to be sent on timeout;": quoted as the
    runner-up, the description alone named no option. (Since descriptions are matched with their option line, the -k
    entry leads by more than the default share allows; a lower share lets the runner-up in.)"""
    page = ("-k, --kill-after=DURATION\n\n\talso send a KILL signal if COMMAND is still running\n\n"
            "\tthis long after the initial signal was sent\n\n-s, --signal=SIGNAL\n\n\tspecify the signal to be sent on timeout;")
    reader = ExtractiveChatModel(Settings(answer_runner_up=0.4), local_embedder)
    reading = reader.read(ChatRequest("How do I make timeout send a KILL signal if the command is still running later?",
                                      [hit(page, 0, "timeout.1.txt")]))
    quoted = [c.text for c in reading.answer]
    assert "specify the signal to be sent on timeout;" in quoted  # the runner-up, as measured on this passage
    assert quoted[quoted.index("specify the signal to be sent on timeout;") - 1] == "-s, --signal=SIGNAL"


def test_a_man_pages_running_header_and_footer_are_never_quoted(reader) -> None:
    """`man diff > diff.txt` keeps "DIFF(1)  User Commands  DIFF(1)" and "diffutils 3.8  August 2021  DIFF(1)": page
    furniture, whose version number once answered "What compression level does diff use by default?"."""
    page = ("DIFF(1)\t\t\t User Commands\t\t\t DIFF(1)\n\nNAME\n       diff - compare files line by line\n\n"
            "-s, --report-identical-files\n\t      report when two files are the same\n\n"
            "diffutils 3.8\t\t\t  August 2021\t\t\t       DIFF(1)")
    reading = reader.read(ChatRequest("What compression level does diff use by default?", [hit(page, 0, "diff.1.txt")]))
    assert not any("DIFF(1)" in c.text for c in reading.candidates)
    assert [c.text for c in reading.candidates] == ["-s, --report-identical-files\n\t      report when two files are the same"]


def test_a_clauses_number_split_off_as_a_sentence_is_not_quoted(reader) -> None:
    """GPL-2's "2. You may modify ..." splits after "2.": the number alone is no part of the quote before it, and
    the quote stops there; "v. 2.0." of a version is not a clause's number."""
    text = ("You may charge a fee for the physical act of transferring a copy.\n\n  2. You may modify your copy of the "
            "Program.\n\nThis is subject to the Mozilla Public License, v. 2.0. If a copy was not distributed, ask.")
    reading = reader.read(ChatRequest("Under GPL version 2, may I charge a fee for distributing copies?", [hit(text, 0)]))
    assert [c.text for c in reading.answer] == ["You may charge a fee for the physical act of transferring a copy."]
    passage = reading.passages[1]
    assert [passage.sentence(i) for i in range(len(passage.spans)) if passage.label(i)] == ["2."]


RETENTION = ("Records must be kept for the periods below.\n\nRecord type | Retention period | Responsible team\n\n"
             "Invoices and receipts | 7 years | Finance\n\nCCTV footage | 30 days | Facilities\n\n"
             "Board minutes | Permanently | Company Secretary")


def test_a_table_row_is_quoted_under_the_tables_column_names_not_next_to_other_rows(reader) -> None:
    """A Word table's rows, as the DOCX parser writes them: the row that answers comes with the first row, which
    says which column is which, and not with the rows of other records next to it."""
    reading = reader.read(ChatRequest("How long is CCTV footage retained?", [hit(RETENTION, 0, "policy.docx")]))
    assert [c.text for c in reading.answer] == ["Record type | Retention period | Responsible team",
                                                "CCTV footage | 30 days | Facilities"]
    reading = reader.read(ChatRequest("Which team looks after board minutes?", [hit(RETENTION, 0, "policy.docx")]))
    assert [c.text for c in reading.answer][-2:] == ["Record type | Retention period | Responsible team",
                                                     "Board minutes | Permanently | Company Secretary"]
    # a shell pipeline on a line of its own is no table: its sentence is read with the ones either side
    page = passages([hit("Decompress it, then count.\n\ngzip -cd file.gz | wc -c\n\nThat prints the size.", 0, "gzip.1.txt")])[1]
    assert [page.header(i) for i in range(len(page.spans))] == [None, None, None]
    table = passages([hit(RETENTION, 0, "policy.docx")])[1]
    assert [table.header(i) for i in range(len(table.spans))] == [None, None, 1, 1, 1]
    # a chunk that starts inside the table: its first row is another record, and each row is quoted alone
    rows = RETENTION[RETENTION.index("Invoices"):]
    inside = Chunk("d:1", "d", rows, page=1, start=100, end=100 + len(rows), title="policy.docx", owner="u")
    reading = reader.read(ChatRequest("How long is CCTV footage retained?", [Hit(inside, 1.0, 1, 1)]))
    assert [c.text for c in reading.answer] == ["CCTV footage | 30 days | Facilities"]


DESTRUCTION = ("Paper records containing personal data are shredded on site by an approved contractor. Electronic "
               "records are purged from backups within 90 days.\n\nThe following must never be destroyed without the "
               "approval of the Records Manager:\n\nrecords under a legal hold\n\nrecords older than 50 years\n\n"
               "records of historical interest to the archive")


def test_a_sentence_that_opens_a_list_brings_all_its_items_and_never_ends_a_quote_alone(reader) -> None:
    """Three items of a Word list: all come with the sentence that opens it, though a quote is otherwise three
    sentences; and a window that would end on that opener stops before it (without its items it says nothing)."""
    reading = reader.read(ChatRequest("What can never be destroyed without the Records Manager's sign-off?",
                                      [hit(DESTRUCTION, 0, "policy.docx")]))
    assert [c.text for c in reading.answer][-3:] == ["records under a legal hold", "records older than 50 years",
                                                     "records of historical interest to the archive"]
    reading = reader.read(ChatRequest("How are paper records with personal data destroyed?",
                                      [hit(DESTRUCTION, 0, "policy.docx")]))
    assert reading.answer[0].text.startswith("Paper records containing personal data are shredded")
    assert not any(c.text.endswith(":") for c in reading.answer)


def test_a_list_whose_opening_ends_its_chunk_is_quoted_with_the_items_of_the_next_chunk(reader) -> None:
    """Node.js's SECURITY.md: "**Node.js does NOT trust**:" ended its chunk and was quoted alone after two sentences
    read back; its items open the next chunk, which was retrieved too (each sentence cites its own source)."""
    first = ("If Node.js runs code by default and this is not documented, it is a vulnerability.\n\n"
             "**Node.js does NOT trust**:")
    items = ("* Data received from the remote end of inbound network connections.\n"
             "* The file content or other I/O opened for reading or writing.\n\n## Examples of vulnerabilities")
    head = Chunk("d:0", "d", first, page=1, start=0, end=len(first), title="SECURITY.md", owner="u")
    tail = Chunk("d:1", "d", items, page=1, start=len(first) + 2, end=len(first) + 2 + len(items),
                 title="SECURITY.md", owner="u")
    hits = [Hit(head, score=1.0, bm25_rank=1, vector_rank=1), Hit(tail, score=0.5, bm25_rank=2, vector_rank=2)]
    reading = reader.read(ChatRequest("What does Node.js not trust?", hits))
    assert [(c.source, c.text) for c in reading.answer][:3] == [
        (1, "**Node.js does NOT trust**:"), (2, "* Data received from the remote end of inbound network connections."),
        (2, "* The file content or other I/O opened for reading or writing.")]
    assert not any("Examples" in c.text for c in reading.answer)  # the next heading ends the items
    alone = reader.read(ChatRequest("What does Node.js not trust?", hits[:1]))  # the next chunk not retrieved
    # alone: not the sentence before it either, which ends the paragraph before (a quote reads back within its own)
    assert [c.text for c in alone.answer] == ["**Node.js does NOT trust**:"]


COUNSEL = ("When litigation is reasonably anticipated, the General Counsel may issue a legal hold. A legal hold suspends "
           "destruction of every record it names until the hold is lifted in writing.")


def test_a_runner_up_that_opens_a_list_comes_with_its_items_or_not_at_all(local_embedder) -> None:
    """"Staff who receive a hold notice must:" was quoted last, as the runner-up, without the duties it opens."""
    both = ExtractiveChatModel(Settings(answer_runner_up=0.01), local_embedder)  # any runner-up that can answer
    question = "What must staff do when they get a legal hold?"
    opener = "Staff who receive a hold notice must:"
    alone = both.read(ChatRequest(question, [hit(COUNSEL, 0, "policy.docx"), hit(opener, 1, "policy.docx")]))
    assert alone.answer and opener not in [c.text for c in alone.answer]
    items = f"{opener}\n\nStop deleting or altering the records it names.\n\nConfirm receipt within two working days."
    listed = both.read(ChatRequest(question, [hit(COUNSEL, 0, "policy.docx"), hit(items, 1, "policy.docx")]))
    assert [c.text for c in listed.answer if c.source == 2] == [
        opener, "Stop deleting or altering the records it names.", "Confirm receipt within two working days."]


BYTES = ("You can also access the response body as bytes, for non-text requests::\n\n    >>> r.content\n    b'[{\"repo\"'"
         "\n\nThe ``gzip`` and ``deflate`` transfer-encodings are automatically decoded for you.\n\nFor example, to "
         "create an image from binary data returned by a request, you can use the following code::\n\n"
         "    >>> i = Image.open(BytesIO(r.content))\n")


def test_a_runner_up_never_repeats_a_sentence_the_answer_quotes(local_embedder) -> None:
    """requests' manual: "Which compressions does Requests undo automatically in a response body?" quoted the gzip
    sentence, then the runner-up "... as bytes, for non-text requests::" with the lines under it, the gzip sentence
    again among them."""
    both = ExtractiveChatModel(Settings(answer_runner_up=0.01), local_embedder)  # any runner-up that can answer
    reading = both.read(ChatRequest("Which compressions does Requests undo automatically in a body?",
                                    [hit(BYTES, 0, "quickstart.txt")]))
    quoted = [squash(c.text) for c in reading.answer]
    assert quoted[0].startswith("The ``gzip`` and ``deflate``") and len(quoted) > 1
    assert len(set(quoted)) == len(quoted), quoted


FAQ = ("Can I claim alcohol?\n\nNo. Alcohol is never reimbursed, including at client dinners.\n\n"
       "What is the daily meal allowance?\n\nThe meal allowance is 40 euros per day when travelling, or 60 euros per "
       "day in London, Paris and New York.\n\nWhen will I be paid?\n\nApproved claims are paid with the next monthly "
       "salary.")


def test_an_faqs_questions_are_never_the_answer_and_bound_the_one_they_ask(reader) -> None:
    """An expenses FAQ as DOCX: "Who approves my claim?" (the next question) ended an answer, and a window read back
    past the question it answered into the answer before ("Alcohol is never reimbursed ... | What is the daily meal
    allowance? | The meal allowance is ...")."""
    reading = reader.read(ChatRequest("What is the meal allowance in Paris?", [hit(FAQ, 0, "faq.docx")]))
    assert not any(c.text.endswith("?") for c in reading.candidates)
    assert [c.text for c in reading.answer] == [
        "What is the daily meal allowance?",
        "The meal allowance is 40 euros per day when travelling, or 60 euros per day in London, Paris and New York."]
    reading = reader.read(ChatRequest("Is alcohol ever reimbursed?", [hit(FAQ, 0, "faq.docx")]))
    assert "What is the daily meal allowance?" not in [c.text for c in reading.answer]


def test_a_question_about_the_faq_is_not_answered_from_another_document(reader) -> None:
    """"How long is CCTV footage retained according to the FAQ?" was answered from the retention policy's table,
    the only passages retrieved: no passage comes from an FAQ."""
    reading = reader.read(ChatRequest("How long is CCTV footage retained according to the FAQ?",
                                      [hit(RETENTION, 0, "retention-policy.docx")]))
    assert reading.gate == "no passage mentions FAQ" and reading.confidence == 0.0
    reading = reader.read(ChatRequest("How long is CCTV footage retained?", [hit(RETENTION, 0, "retention-policy.docx")]))
    assert not reading.gate  # not named: the policy answers


USE = ("When using company systems, staff must not:\n\n\u2022 Install unlicensed software\n\n\u2022 Share passwords "
       "with anyone\n\n\u2022 Mine cryptocurrency\n\nTo report a lost laptop:\n\n\u2022 Call the service desk\n\n"
       "\u2022 File an incident report within 24 hours\n\nIncidents are reviewed by the Information Security Officer.")


def test_a_list_item_is_quoted_under_the_sentence_that_opens_its_list(reader) -> None:
    """"• Share passwords with anyone" alone answered "Can I share my password?" as if it were allowed; the list's
    items end where a line without a bullet starts; and a sentence after a list does not read back into it."""
    reading = reader.read(ChatRequest("Can I share my password with a colleague?", [hit(USE, 0, "use.docx")]))
    assert [c.text for c in reading.answer] == ["When using company systems, staff must not:",
                                                "\u2022 Share passwords with anyone"]
    reading = reader.read(ChatRequest("What should I do if I lose my laptop?", [hit(USE, 0, "use.docx")]))
    assert [c.text for c in reading.answer] == ["To report a lost laptop:", "\u2022 Call the service desk",
                                                "\u2022 File an incident report within 24 hours"]
    reading = reader.read(ChatRequest("Who reviews security incidents?", [hit(USE, 0, "use.docx")]))
    assert [c.text for c in reading.answer] == ["Incidents are reviewed by the Information Security Officer."]
    # a PDF's item runs on in sentences of its own on the same line: they are one item
    pdf = passages([hit("Goals:\n\u2022 Portability. The code should work on all Unix like systems.", 0)])[1]
    assert not pdf.after_list(2) and pdf.list_opener(1) == 0


def test_a_yes_no_question_looks_for_a_rule(reader) -> None:
    """"Can software assume ...?" is answered by what allows, requires or forbids, a soft signal: never a miss."""
    intro = "The system described in this document lets different programs see the same file as having the same type."
    rule = "Since many filesystems lack extended attributes, implementations MUST NOT rely on this method."
    reading = reader.read(ChatRequest("Can software assume every file system keeps a file's type in an attribute?",
                                      [hit(intro, 0), hit(rule, 1)]))
    by_text = {c.text: c.features for c in reading.candidates}
    assert reading.wanted == "rule" and by_text[rule]["typed_hit"] == 1.0 and by_text[intro]["typed_hit"] == 0.0
    assert by_text[intro]["typed_miss"] == 0.0


def test_a_switch_question_needs_a_passage_that_names_an_option(reader) -> None:
    """"Which tar switch does the spec recommend ...": the spec's introduction mentions no option, so it is no answer."""
    intro = ("This is version 0.21 of the Shared MIME-info Database specification. Frequently, it is necessary to work "
             "out the correct MIME type for a file, and an implementation may read the user.mime_type attribute.")
    question = "Which tar switch does the shared MIME-info spec recommend so that the mime type attribute is archived?"
    reading = reader.read(ChatRequest(question, [hit(intro, 0, "shared-mime-info-spec.pdf")]))
    assert reading.gate == "no passage gives a command-line option" and reading.confidence == 0.0
    with_option = intro + " Archive such files with tar --xattrs to keep the attribute."
    reading = reader.read(ChatRequest(question, [hit(with_option, 0, "shared-mime-info-spec.pdf")]))
    assert not reading.gate and "--xattrs" in " ".join(c.text for c in reading.answer)


def test_an_identifier_no_source_mentions_is_refused(reader) -> None:
    text, assessment = answer(reader, "What does asn1_frobnicate_tree return on success?", LIMITS, GLOBS)
    assert text == NOT_FOUND and assessment.confidence == 0.0


def test_a_program_the_question_opens_with_must_be_mentioned(reader) -> None:
    """"With chown, ...": sources about another program's owner options do not answer for chown."""
    tar = ("--owner=NAME force NAME as owner for added files. If UID is not supplied, NAME can be either a user "
           "name or numeric UID.")
    question = "With chown, how do I change a file's owner only when the current owner is a given user?"
    reading = reader.read(ChatRequest(question, [hit(tar, 0, "tar.1.txt")]))
    assert reading.gate == "no passage mentions chown" and reading.confidence == 0.0
    reading = reader.read(ChatRequest(question.replace("chown", "tar"), [hit(tar, 0, "tar.1.txt")]))
    assert "tar" not in reading.gate  # the program is there: the question is read as usual


def test_a_question_no_source_is_about_is_refused_even_when_a_word_matches(reader) -> None:
    """"1998" occurs in the sources, but no sentence is close to the question in meaning."""
    dated = "The time value 9801011200Z means January 1st, 1998 at 12h 00m Greenwich Mean Time."
    text, assessment = answer(reader, "Who won the 1998 football world cup?", dated, GLOBS)
    assert text == NOT_FOUND and assessment.confidence == 0.0
    reading = reader.read(ChatRequest("Who won the 1998 football world cup?", [hit(dated), hit(GLOBS, 1)]))
    assert reading.gate == "no passage is about the question" and reader.closest(reading) < OFF_TOPIC
    # the same sources answer a question they are about: the floor is not a blanket refusal
    assert reader.closest(reader.read(ChatRequest("How heavily is a glob weighted?", [hit(GLOBS)]))) >= OFF_TOPIC


def test_a_question_that_names_a_document_prefers_that_document(local_embedder) -> None:
    """Which sentence is quoted, apart from whether two one-sentence sources earn enough confidence."""
    apache = "You may add Your own copyright statement to Your modifications and may provide additional terms."
    gpl = "You may convey a work based on the Program, or the modifications to produce it, in the form of source code."
    anything = ExtractiveChatModel(Settings(answer_threshold=0.0), local_embedder)
    text, _ = answer(anything, "Under the GPL, may I pass on my changed version as source?", apache, gpl,
                     titles=("Apache-2.0.txt", "GPL-3.txt"))
    assert text.endswith("[2]")  # the Apache sentence scores higher, but the question names the GPL


def test_a_document_named_explicitly_outranks_one_a_rare_word_names(reader) -> None:
    """"the ls man page ... MIME type": MIME names the MIME spec too, but the ls man page is the one asked
    about; it never mentions MIME, so the reader says so rather than quote the spec."""
    ls = "-A, --almost-all do not list implied . and .. -l use a long listing format"
    mime = "Each mime-type node describes a single MIME type. Each element has a type attribute giving the MIME type."
    question = "According to the ls man page, which option makes ls print every file's MIME type?"
    text, assessment = answer(reader, question, ls, mime, titles=("ls.1.txt", "shared-mime-info-spec.pdf"))
    assert text == NOT_FOUND and assessment.confidence == 0.0
    reading = reader.read(ChatRequest(question, [hit(ls, 0, "ls.1.txt"), hit(mime, 1, "shared-mime-info-spec.pdf")]))
    assert reading.named == {1} and "mime" in reading.gate
    # the same question about the spec is answered from it
    text, _ = answer(reader, "Which attribute of a mime-type node gives the MIME type, per the MIME-info spec?",
                     ls, mime, titles=("ls.1.txt", "shared-mime-info-spec.pdf"))
    assert text.endswith("[2]") and "type attribute" in text


def test_a_question_word_inside_a_carried_query_is_not_a_name(reader) -> None:
    """A short follow-up's query carries the previous question's terms: "codename Project Falcon When
    does Project Falcon launch?". Its "When" is no name the sources must mention."""
    notes = "Project Falcon has the codename BLUEBIRD.\n\nProject Falcon launches in the spring of 2027."
    history = (Turn("user", "What is the codename of Project Falcon?"), Turn("assistant", "BLUEBIRD. [1]"))
    query = "codename Project Falcon When does Project Falcon launch?"
    parts = list(reader.stream(ChatRequest("When does Project Falcon launch?", [hit(notes)], history, query=query)))
    text = "".join(p for p in parts if isinstance(p, str))
    assert "2027" in text and text != NOT_FOUND


def test_a_follow_up_is_read_as_its_standalone_query(reader) -> None:
    """The reader has no memory: "and if none is given?" alone names nothing to look for; read as the
    search query the history made of it, it finds the default weight."""
    history = (Turn("user", "How are glob patterns weighted?"), Turn("assistant", "By a weight attribute. [1]"))
    follow_up = "and if none is given?"
    query = "glob patterns weighted default weight if none is given?"
    alone, _ = answer(reader, follow_up, GLOBS)
    assert "50" not in alone  # the follow-up's own words do not lead to the value
    parts = list(reader.stream(ChatRequest(follow_up, [hit(GLOBS)], history, query=query)))
    text = "".join(p for p in parts if isinstance(p, str))
    assert "50" in text and text.endswith("[1]")


def test_a_follow_ups_own_words_lead_over_those_it_carries(reader) -> None:
    """"And CCTV footage?" after "How long do we keep invoices?" is searched as "long keep invoices And CCTV
    footage?": read with every word alike, the invoices row still led the answer."""
    history = (Turn("user", "How long do we keep invoices?"), Turn("assistant", "Invoices and receipts | 7 years [1]"))
    query = "long keep invoices And CCTV footage?"
    reading = reader.read(ChatRequest("And CCTV footage?", [hit(RETENTION, 0, "policy.docx")], history, query=query))
    assert reading.question.focus == ("cctv", "footage") and reading.question.text == query
    assert reading.answer[1].text == "CCTV footage | 30 days | Facilities"  # under the column names


def test_a_close_runner_up_is_quoted_too_with_its_own_citation(local_embedder) -> None:
    """When the reader is nearly as sure of another passage, both are quoted, each citing its source."""
    question = "Which file replaced the old list of type patterns, and why?"
    other = "The globs2 file lists the weight of each glob rule, so it replaced the older list of type patterns."
    one = ExtractiveChatModel(Settings(answer_runner_up=0.0), local_embedder)
    both = ExtractiveChatModel(Settings(answer_runner_up=0.01), local_embedder)  # any runner-up that can answer
    hits = [hit(GLOB_FILE, 0), hit(other, 1, "notes.txt")]
    single = "".join(p for p in one.stream(ChatRequest(question, hits)) if isinstance(p, str))
    double = "".join(p for p in both.stream(ChatRequest(question, hits)) if isinstance(p, str))
    assert {"[1]", "[2]"} <= set(re.findall(r"\[\d\]", double)) and double.startswith(single)
    assert len(set(re.findall(r"\[\d\]", single))) == 1
    reading = both.read(ChatRequest(question, hits))
    assert reading.answer[-1].probability >= 0.01 * reading.candidates[0].probability


def test_emphasis_picks_the_typed_value_or_the_clause_sharing_the_question_words() -> None:
    # a table's row: the cell that holds the value, not the whole row
    row = "Record type | Retention period | Responsible team\n\nCCTV footage | 30 days | Facilities"
    assert emphasis(read_question("How long is CCTV footage retained?"), row.split("\n\n")[1], row) == ["30 days"]
    number = read_question("What is the default weight?")
    assert any("50" in p for p in emphasis(number, "The default weight value is 50, and the maximum is 100."))
    assert emphasis(read_question("Why is it deprecated?"), "x y") == []
    # an index in code is not the value: the bold went to "(str[0]..str[*str len-1]). der" (libtasn1 p.19)
    largest = read_question("What is the largest length asn1_octet_der will encode?")
    prototype = ("The maximum length this function will encode is ASN1_MAX_LENGTH_SIZE . To know the size of the DER "
                 "encoding use a NULL value for der . str len: STR length (str[0]..str[*str len-1]).")
    assert [p.strip() for p in emphasis(largest, prototype)] == [
        "The maximum length this function will encode is ASN1_MAX_LENGTH_SIZE"]
    # the reader's best sentence is the prototype; the clause that answers is the sentence before it, quoted too
    signature = "str len: STR length (str[0]..str[*str len-1])."
    assert emphasis(largest, signature, "The maximum length this function will encode is ASN1_MAX_LENGTH_SIZE . To know "
                    "the size of the DER encoding use a NULL value for der . " + signature) == [
        "The maximum length this function will encode is ASN1_MAX_LENGTH_SIZE"]
    # the value is in the quoted sentence after the one that matched the question; the question's own is not it
    count = read_question("How many zero bytes in a row make cp create a hole?")
    matched = "Specify --sparse=always to create a hole whenever the file holds a long sequence of zero bytes."
    quoted = matched + " The sequence must be at least 512 bytes long."
    assert emphasis(count, matched, quoted) == ["The sequence must be at least 512 bytes long"]
    assert emphasis(count, matched) == []  # "zero" is the question's own; bolding the whole one-clause sentence says nothing


OCTET_PAGE = ("asn1 length der\n[Function]void asn1_length_der (unsigned long int len, unsigned char * der, int *\n"
              "der_len)\nlen: value to convert.\nCreates the DER encoding of the provided length value. The der buffer must "
              "have\nenough room for the output. The maximum length this function will encode is ASN1_\nMAX_LENGTH_SIZE .\n"
              "To know the size of the DER encoding use a NULL value for der .\nasn1 octet der\n"
              "[Function]void asn1_octet_der (const unsigned char * str, int str_len,\nunsigned char * der, int * der_len)\n"
              "str: the input data.\nCreates a length-value DER encoding for the input data. The DER encoding of the\n"
              "input data will be placed in the der variable.\nNote that the OCTET STRING tag is not included in the output.")


def test_one_functions_sentence_does_not_answer_for_the_next_function_in_a_texinfo_manual(reader) -> None:
    """libtasn1.pdf states asn1_length_der's largest length, not asn1_octet_der's: the app quoted it for the
    latter, whose name stood in the next line (now the heading of its entry, which the window does not read)."""
    text, assessment = answer(reader, "What is the largest length asn1_octet_der will encode?", OCTET_PAGE,
                              titles=("libtasn1.pdf",))
    assert "MAX_LENGTH_SIZE" not in text
    text, _ = answer(reader, "What should I pass as der to asn1_length_der to learn the size of its encoding?", OCTET_PAGE,
                     titles=("libtasn1.pdf",))
    assert "use a NULL value for der" in text  # printed "asn1 length der" over its entry, the name still covers it
    reading = reader.read(ChatRequest("What does asn1_octet_der leave out of its output?", [hit(OCTET_PAGE, 0, "libtasn1.pdf")]))
    assert not any(c.text.startswith("[Function]") for c in reading.candidates)  # a signature is code, not an answer
    assert "OCTET STRING tag is not included" in " ".join(c.text for c in reading.answer)
    reading = reader.read(ChatRequest("What does asn1_length_der do with the provided length value?",
                                      [hit(OCTET_PAGE, 0, "libtasn1.pdf")]))
    quoted = [c.text for c in reading.answer]
    assert quoted[:2] == ["len: value to convert.", "Creates the DER encoding of the provided length value."]
    assert not any("[Function]" in q for q in quoted)  # the signature is code: the window quotes what follows it
    clean = reading.passages[1].text
    assert all(clean[c.start:c.end] == c.text for c in reading.answer)  # offsets still mark the quoted text


def test_an_identifier_is_covered_where_a_pdf_prints_it_without_underscores() -> None:
    from rag.backends.local.extractive import mentions

    assert mentions("expands every element (asn1 der decoding function).", "asn1_der_decoding")
    assert mentions("asn1_der_decoding()", "ASN1_DER_DECODING") and not mentions("asn1 der coding", "asn1_der_decoding")
    assert not mentions("the max length size", "MAX-LENGTH")  # only underscores are read as spaces


def test_a_refusal_says_the_value_is_missing_where_only_a_signature_names_the_function(reader) -> None:
    page = ("asn1 dup node\n[Function]asn1_node asn1_dup_node (asn1 node const src, const char *\nsrc_name)\n"
            "src: Source asn1 node.\nsrc name: Field name in source node.\nCreate a deep copy of a asn1 node variable.")
    reading = reader.read(ChatRequest("In which libtasn1 release was asn1_dup_node introduced?", [hit(page, 0, "libtasn1.pdf")]))
    assert reader.why_not(reading) == "no passage gives a version"  # not "no passage mentions asn1_dup_node"
    assert reading.confidence == 0.0



def test_a_refusal_says_the_identifiers_are_never_mentioned_together(reader) -> None:
    """"How does patch's --batch option differ from --force?" over diffutils' manual, where each is described in its own
    paragraph, was refused "no passage gives a other": the question wants no value; what is missing is a passage
    that names both."""
    page = ("The '--force' ('-f') option assumes that you know what you are doing. It skips patches whose headers do "
            "not say which file is to be patched.\n\nOf all the options, only a few change how patch reads its input "
            "and none of them is needed often. The reject files are written next to the files patched.\n\nThe "
            "'--batch' ('-t') option suppresses questions, but it makes somewhat different assumptions.")
    reading = reader.read(ChatRequest("How does patch's --batch option differ from --force?", [hit(page, 0, "diff.txt")]))
    assert reader.why_not(reading) == "no passage mentions --batch and --force together"


GLOB_PAGE = ("Each mime-type node may contain any combination of the following elements, and in any order:\n"
             "• glob elements have a pattern attribute. Any file whose name matches this pattern will be given this\n"
             "MIME type (subject to conflicting rules in other files, of course). There is also an optional weight\n"
             "attribute which is used when resolving conflicts with other glob matches. The default weight value is\n"
             "50, and the maximum is 100.\n"
             "KDE’s glob system replaces GNOME’s and ROX’s ext/regex fields, since it is trivial to detect a pattern\n"
             "in the form ’*.ext’ and store it in an extension hash table internally. The full power of regular\n"
             "expressions was not being used by either desktop, and glob patterns are more suitable for filename\n"
             "matching anyway.")


def test_a_quote_that_holds_the_value_asked_for_does_not_read_on_into_the_next_paragraph(reader) -> None:
    """The docs/ screenshot quoted "KDE's glob system replaces ..." after the default weight: a PDF paragraph ends
    at a short line that ends a sentence, with no blank line."""
    text, _ = answer(reader, "What is the default weight of a glob pattern?", GLOB_PAGE,
                     titles=("shared-mime-info-spec.pdf",))
    assert "default weight value is 50" in text and "KDE" not in text
    assert "MIME type (subject" not in text  # nor does it read back past the sentence before: the value is quoted


def test_paragraphs_end_at_blank_lines_and_short_lines_but_not_inside_a_list() -> None:
    from rag.backends.local.passage import Passage
    from rag.text import sentence_spans

    def starts(text: str) -> list[bool]:
        p = Passage(1, hit(text), text, sentence_spans(text), [])
        return [p.paragraph_starts(i) for i in range(len(p.spans))]

    assert starts(GLOB_PAGE)[-4:] == [False, False, True, False]  # "KDE’s ..." opens one; wrapped lines do not
    assert starts("Print the last 10 lines.\n\nWith no FILE, read standard input.") == [False, True]
    assert starts("Exit status:\n0 if OK,\n\n1 if minor problems,\n\n2 if serious trouble.") == [False, False, False]


GROUPS_PAGE = ("tty\nTty devices and /dev/vcs* are owned by this group. This is used by write and wall to enable them to\n"
               "write to other people's ttys.\ndisk\nRaw access to disks. Mostly equivalent to root access.\n"
               "kmem\n/dev/kmem and similar files are readable by this group. This is mostly a BSD relic, but any programs "
               "that\nneed direct read access to the system's memory can thus be made setgid kmem.\n"
               "dialout\nFull and direct access to serial ports. Members of this group can reconfigure the modem, dial "
               "anywhere,\netc.\ndip\nThe group's name stands for \"Dialup IP\". Being in group dip allows you to use tools "
               "such as pppd.\n")


def test_a_definition_lists_description_is_quoted_under_its_term(reader) -> None:
    """Debian's "Users and Groups" (printed from HTML to PDF) names each group on a line above its description.
    "Which group ... serial ports?" quoted "... setgid kmem. dialout Full and direct access ..." (kmem's sentence and
    the term glued to it), and a description alone names no group."""
    text, assessment = answer(reader, "Which group gives access to serial ports?", GROUPS_PAGE,
                              titles=("users-and-groups.pdf",))
    assert text.startswith("dialout") and "Full and direct access to serial ports." in text
    assert "kmem" not in text and "dip" not in text and assessment.confidence >= reader.threshold
    # the entry's second sentence answers: its term comes with it, and names the group as "which group" asks
    text, assessment = answer(reader, "Which group lets users reconfigure the modem?", GROUPS_PAGE,
                              titles=("users-and-groups.pdf",))
    assert text.startswith("dialout") and "reconfigure the modem" in text and assessment.confidence >= reader.threshold


def test_a_term_names_an_entry_for_which_not_for_who(reader) -> None:
    """A term answers "which group ...", as a name would; "who ..." asks for a person or a role, which no term of a
    list of groups is."""
    reading = reader.read(ChatRequest("Which group lets users reconfigure the modem?", [hit(GROUPS_PAGE, 0, "groups.pdf")]))
    best = next(c for c in reading.candidates if c.text.startswith("Members of this group"))
    assert reading.wanted == "name" and best.features["typed_hit"] == 1.0
    reading = reader.read(ChatRequest("Who can reconfigure the modem?", [hit(GROUPS_PAGE, 0, "groups.pdf")]))
    best = next(c for c in reading.candidates if c.text.startswith("Members of this group"))
    assert reading.wanted == "name" and best.features["typed_hit"] == 0.0


SPOOL_PAGE = ("HELP: what do other print systems (rlpr, lprng, ...) do?\nmail\nMailboxes in /var/mail are owned and writable "
              "by group mail, as is explained in Debian Policy. The user\nand group is used for other purposes as well by "
              "various MTAs and MUAs.\nnews\nVarious news servers and other associated programs (such as suck) use user "
              "and group news in various\nways. Files in the news spool are often owned by user and group news. Programs "
              "such as inews that can\nbe used to post news are typically sgid news.\noperator\nThe operator user is no "
              "longer created by default. It had uid 37.\nuucp\nThe uucp user and group is used by the UUCP subsystem. It "
              "owns spool and configuration files.")


def test_the_entry_a_question_names_answers_it(reader) -> None:
    """"Which user owns the mail spool?" quoted news's entry ("Files in the news spool are often owned by ..."): the
    question names the "mail" entry, and another entry answers for another group."""
    text, assessment = answer(reader, "Which user owns the mail spool?", SPOOL_PAGE, titles=("users-and-groups.pdf",))
    assert text.startswith("mail") and "Mailboxes in /var/mail" in text and "news spool" not in text
    # a value the named entry does not give is not taken from another entry: "It had uid 37." is operator's
    reading = reader.read(ChatRequest("What is the UID of the uucp user?", [hit(SPOOL_PAGE, 0, "users-and-groups.pdf")]))
    assert reading.question.kind == "number" and reading.gate == "no passage gives a number" and not reading.confidence
    reading = reader.read(ChatRequest("What port does the uucp daemon listen on?", [hit(SPOOL_PAGE, 0, "groups.pdf")]))
    assert reading.question.kind == "number" and reading.gate


def test_a_quote_does_not_read_back_into_the_paragraph_before(reader) -> None:
    """With no sentence after the best one in its section, a quote reads back; not past the start of its paragraph,
    into another subject (sort's "SIZE may be followed by ... suffixes" came before its locale warning)."""
    page = ("Packages intended for Django are named python3-django-name upstream and in Debian alike.\n\n"
            "Large manuals go in a binary package of their own. The documentation package for module foo should be "
            "named python-foo-doc.\n4.4. Specifying Supported Versions")
    text, _ = answer(reader, "What should the documentation package for module foo be named?", page,
                     titles=("python-policy.pdf",))
    assert "python-foo-doc" in text and "Large manuals" in text and "Django" not in text


def test_a_markdown_tables_row_is_quoted_under_its_column_names(reader) -> None:
    """BUILDING.md's "| Linux | GCC >= 10.1 |" was never a candidate (its bars made it look like no prose), and
    a row alone says nothing of what its cells are: it is read and quoted under the table's column names."""
    from tests.unit.test_layout import MD_TABLE

    text, assessment = answer(reader, "Which compiler version do I need on Linux?", MD_TABLE, titles=("BUILDING.md",))
    assert text.startswith("| Operating System | Compiler Versions") and "GCC >= 10.1" in text
    assert "| ---" not in text and "Xcode" not in text and assessment.confidence >= reader.threshold
    reading = reader.read(ChatRequest("Which compiler version do I need on Linux?", [hit(MD_TABLE, 0, "BUILDING.md")]))
    row = next(c for c in reading.candidates if "GCC >= 10.1" in c.text)
    assert reading.evidence(row).startswith("| Operating System | Compiler Versions")


NOTES = ('Updates since v2.13\n-------------------\n\nUI, Workflows & Features\n\n'
         ' * The colors in which "git status --short --branch" showed the names\n   of the current branch are now'
         ' configurable.\n\n'
         ' * "git clone" learned the "--no-tags" option not to fetch all tags\n   initially. It also sets up the'
         ' tagopt not to follow\n   tags in later fetches.\n\n'
         ' * "git archive --format=zip" learned to use zip64 extension when\n   necessary.\n')


def test_a_bulleted_item_is_quoted_without_the_items_either_side(reader) -> None:
    """Git's release notes are a list of changes, one a bullet: "How can I stop git clone from fetching tags?" quoted
    the colours item before the answering one and the archive item after it, and the first item read back into the
    heading above the list. An item's own next sentence stays with it."""
    def quoted(question: str) -> list[str]:
        return [squash(c.text) for c in reader.read(ChatRequest(question, [hit(NOTES, 0, "notes.txt")])).answer]

    assert quoted("How can I stop git clone from fetching tags?") == [
        '* "git clone" learned the "--no-tags" option not to fetch all tags initially.',
        "It also sets up the tagopt not to follow tags in later fetches."]
    assert quoted("Which zip extension can git archive use for big files?") == [
        '* "git archive --format=zip" learned to use zip64 extension when necessary.']
    assert quoted("Can the colours of git status be changed?") == [
        '* The colors in which "git status --short --branch" showed the names of the current branch are now '
        'configurable.']


def test_a_titles_underline_is_never_quoted(reader) -> None:
    """The sentence under an underlined title ("apt and aptitude" over "----------------") read back into the
    underline: the answer opened on "----------------"."""
    spec = ("Error handling\n--------------\n\nPackages should not break.\n\napt and aptitude\n----------------\n\n"
            "These must be taught about the new triggers-awaited and triggers-pending states.\n")
    reading = reader.read(ChatRequest("Which new states must apt learn about?", [hit(spec, 0, "triggers.txt")]))
    assert [squash(c.text) for c in reading.answer] == [
        "These must be taught about the new triggers-awaited and triggers-pending states."]


def test_an_asciidoc_options_entry_answers_for_it_with_all_its_names(reader) -> None:
    """git-subtree's manual: "--branch" quoted its first sentence alone, without the alias line above it and the rule
    under it ("<branch> must not already exist."), and "What does --rejoin do?" was answered by the section's
    introduction, which mentions "split --rejoin", instead of the option's own entry."""
    from tests.unit.test_layout import ASCIIDOC

    reading = reader.read(ChatRequest("Can the branch given to --branch already exist?", [hit(ASCIIDOC, 0, "subtree.txt")]))
    assert [squash(c.text) for c in reading.answer] == [
        "-b <branch>::", "--branch=<branch>::",
        "After generating the synthetic history, create a new branch. <branch> must not already exist."]
    reading = reader.read(ChatRequest("What does --rejoin do?", [hit(ASCIIDOC, 0, "subtree.txt")]))
    assert [squash(c.text) for c in reading.answer][:2] == ["--rejoin::", "After splitting, merge the new history back."]


def test_a_table_laid_out_with_spaces_is_read_row_by_row_under_its_column_names(reader) -> None:
    """fontconfig's manual: a row is a record, quoted under the table's column names, however short."""
    from tests.unit.test_layout import PROPERTIES

    def quoted(question: str) -> list[str]:
        return [squash(c.text) for c in reader.read(ChatRequest(question, [hit(PROPERTIES, 0, "fc.pdf")])).answer]

    assert quoted("What type is the pixelsize property?") == ["Property Type Description", "pixelsize Double Pixel size"]
    assert quoted("What weight value does bold have?") == ["bold weight 200"]


API = ("### `timeout.close()`\n\n<!-- YAML\nadded: v0.9.1\nchanges:\n  - version: v18.0.0\n    description: Passing an "
       "invalid callback now throws a TypeError.\n-->\n\n> Stability: 3 - Legacy: Use clearTimeout() instead.\n\n"
       "Cancels the timeout.\n")


def test_a_short_whole_sentence_answers_and_an_html_comment_never_does(reader) -> None:
    """Node.js's API reference: "Cancels the timeout." (three words) was too short to quote, and the entry's HTML
    comment, which the rendered page never shows, was quoted instead."""
    reading = reader.read(ChatRequest("What does timeout.close() do?", [hit(API, 0, "timers.md")]))
    quoted = [squash(c.text) for c in reading.answer]
    assert "Cancels the timeout." in quoted and not any("<!--" in q for q in quoted)
    assert all("<!--" not in c.text for c in reading.candidates)


TIMERS = ("### `setInterval(callback[, delay])`\n\n* `delay` {number} The number of milliseconds to wait before calling "
          "the\n  `callback`. **Default:** `1`.\n\nSchedules repeated execution of `callback` every `delay` milliseconds."
          "\n\n### `setTimeout(callback[, delay])`\n\n* `delay` {number} The number of milliseconds to wait before "
          "calling the\n  `callback`. **Default:** `1`.\n\nSchedules execution of a one-time `callback` after `delay` "
          "milliseconds.\n\n### `scheduler.wait(delay)`\n\nCalling `scheduler.wait(delay)` is equivalent to calling "
          "`setTimeout(delay, undefined)`.\n\n```mjs\nimport { scheduler } from 'node:timers/promises';\n\n"
          "await scheduler.wait(1000); // Wait one second before continuing\n```\n\nThe API is accessible via:\n\n"
          "```cjs\nconst timers = require('node:timers/promises');\n```\n\n[`setTimeout()`]: #settimeoutcallback-delay\n"
          "[Event Loop]: https://nodejs.org/en/docs/guides/event-loop-timers-and-nexttick/ \"The loop\"\n")


def test_a_markdown_files_code_and_link_definitions_are_no_answers_of_their_own(reader) -> None:
    """Node.js's API reference: "What is scheduler.wait the same as?" was answered with the code block under the
    sentence that answers ("await scheduler.wait(1000); // Wait one second ..."), and a trap with the file's link
    reference definitions ("[`clearTimeout()`]: #cleartimeouttimeout ..."), which a rendered page never shows. A
    block's code is quoted under the sentence that introduces it."""
    reading = reader.read(ChatRequest("What is scheduler.wait the same as?", [hit(TIMERS, 0, "timers.md")]))
    assert "is equivalent to calling" in reading.answer[0].text
    assert not any("await" in c.text or "]: " in c.text for c in reading.candidates)
    assert [c.text for c in reading.answer if "await" in c.text] == []  # nor read into after another sentence
    reading = reader.read(ChatRequest("How is the timers promises API accessible?", [hit(TIMERS, 0, "timers.md")]))
    assert [squash(c.text) for c in reading.answer][:2] == [
        "The API is accessible via:", "const timers = require('node:timers/promises');"]


ADAPTERS = (".. _transport-adapters:\n\nTransport Adapters\n------------------\n\nOnce created, a Transport Adapter can be "
            "mounted to a Session object.\n::\n\n    >>> s = requests.Session()\n    >>> s.mount('https://github.com/', "
            "MyAdapter())\n\nThe mount call registers a specific instance of a Transport Adapter to a prefix.\n\n"
            ".. note:: The adapter will be chosen based on a longest prefix match.\n\nBy default, Requests does not "
            "retry failed connections, as the following shows::\n\n    s = Session()\n    s.mount('https://', "
            "HTTPAdapter(max_retries=retries))\n\n.. _`urllib3`: https://github.com/urllib3/urllib3\n")


def test_restructuredtexts_markup_and_literal_blocks_are_no_answers_of_their_own(reader) -> None:
    """requests' manual (reStructuredText): "How is the transport adapter chosen for a URL?" was answered with the
    doctest over the answering passage (">>> s = requests.Session() >>> s.mount(...)"), and sentences were quoted
    with their directive's marker (".. note:: The adapter ...") and link targets (".. _`urllib3`: https://...").
    A literal block is quoted under the sentence that introduces it."""
    reading = reader.read(ChatRequest("How is the transport adapter chosen for a URL?", [hit(ADAPTERS, 0, "adv.txt")]))
    quoted = [squash(c.text) for c in reading.answer]
    assert "The adapter will be chosen based on a longest prefix match." in quoted
    assert not any(">>>" in c.text or ".. " in c.text for c in reading.candidates)
    reading = reader.read(ChatRequest("Does Requests retry failed connections by default?", [hit(ADAPTERS, 0, "adv.txt")]))
    assert [squash(c.text) for c in reading.answer][:2] == [
        "By default, Requests does not retry failed connections, as the following shows::",
        "s = Session() s.mount('https://', HTTPAdapter(max_retries=retries))"]
    # a block's lead, as a runner-up, brings its block, not the paragraphs after it
    both = ExtractiveChatModel(Settings(answer_runner_up=0.01), reader.embedder)
    lead = ("The private key to your local certificate must be unencrypted.\n\nYou can also specify a local cert to use "
            "as client side certificate, as a single file or as a tuple of both\nfiles' paths::\n\n    >>> "
            "requests.get(url, cert='/path/client.cert')\n\nOr persistent::\n\n    s.cert = '/path/client.cert'\n")
    reading = both.read(ChatRequest("Can the client certificate's private key be encrypted?", [hit(lead, 0, "adv.txt")]))
    quoted = [squash(c.text) for c in reading.answer]
    assert quoted[0] == "The private key to your local certificate must be unencrypted." and len(quoted) > 2, quoted
    assert quoted[2].startswith(">>> requests.get(") and "Or persistent::" not in quoted


def test_a_sentence_a_document_repeats_under_another_heading_is_read_under_each(reader) -> None:
    """An API reference describes `delay` alike under setInterval and setTimeout: the second was dropped as a repeat,
    so "What is the default delay for setTimeout?" could only be answered by setInterval's, which does not name
    setTimeout, and was refused."""
    reading = reader.read(ChatRequest("What is the default delay for setTimeout?", [hit(TIMERS, 0, "timers.md")]))
    assert not reading.gate and [c.text for c in reading.answer[:2]] == [
        "`setTimeout(callback[, delay])`", "* `delay` {number} The number of milliseconds to wait before calling the\n"
        "  `callback`. **Default:** `1`."]  # under its heading, which names the function


def test_a_changelog_entrys_change_answers_for_its_own_version_only(reader) -> None:
    """gzip's Debian changelog: "Which CVE was fixed in gzip 1.12-1?" was answered with the CVE another entry fixed,
    and "... in gzip 1.10-1?" (an entry that fixes none) with 1.12-1's."""
    from tests.unit.test_layout import CHANGELOG

    older = ("gzip (1.3.12-9) unstable; urgency=high\n\n  * fix applied for CVE-2010-0001 which identified an integer "
             "underflow when decompressing files.\n\n -- Bdale Garbee <bdale@gag.com>  Wed, 20 Jan 2010 11:40:00 -0700\n")
    hits = [hit(older, 0, "changelog.Debian"), hit(CHANGELOG, 1, "changelog.Debian")]
    reading = reader.read(ChatRequest("Which CVE was fixed in gzip 1.12-1?", hits))
    assert "CVE-2022-1271" in " ".join(c.text for c in reading.answer)
    assert all("CVE-2010" not in c.text for c in reading.answer)
    parts = list(reader.stream(ChatRequest("Which CVE was fixed in gzip 1.10-1?", hits)))
    assert "CVE" not in "".join(p for p in parts if isinstance(p, str))


RELEASES = ("E2fsprogs 1.47.0 (February 5, 2023)\n===================================\n\nUpdates/Fixes since v1.46.6:\n\n"
            "Add support for the orphan_file feature, which speeds up workloads that are deleting many files.\n\n"
            "E2fsprogs 1.46.6 (February 1, 2023)\n===================================\n\nUpdates/Fixes since v1.46.5:\n\n"
            "Debugfs's ncheck command now allows the inode number to be surrounded by angle brackets.")


def test_a_heading_that_dates_a_release_answers_when_it_came_out(reader) -> None:
    """e2fsprogs' release notes date each release in its heading only; "When did e2fsprogs 1.47.0 come out?" was
    refused ("no passage gives a date"): a heading is never a candidate. It is one where it holds the date asked for
    and every number the question states, and it is quoted alone (the sentence before it is another release's)."""
    reading = reader.read(ChatRequest("When did e2fsprogs 1.47.0 come out?", [hit(RELEASES, 0, "NEWS.txt")]))
    assert not reading.gate and [c.text for c in reading.answer] == ["E2fsprogs 1.47.0 (February 5, 2023)"]
    reading = reader.read(ChatRequest("When did e2fsprogs 1.46.6 come out?", [hit(RELEASES, 0, "NEWS.txt")]))
    assert [c.text for c in reading.answer] == ["E2fsprogs 1.46.6 (February 1, 2023)"]
    reading = reader.read(ChatRequest("When did e2fsprogs 1.45.0 come out?", [hit(RELEASES, 0, "NEWS.txt")]))
    assert not any(c.text.startswith("E2fsprogs") for c in reading.candidates)  # another release's date is no answer
    reading = reader.read(ChatRequest("What does the orphan_file feature speed up?", [hit(RELEASES, 0, "NEWS.txt")]))
    assert not any(c.text.startswith("E2fsprogs") for c in reading.candidates)  # nor is a heading, asked no date


SECTIONS = ("The table below shows the section numbers of the manual followed by the types of pages they contain.\n\n"
            "|   1    | user executable programs or shell commands           |\n"
            "|   5    | file formats and conventions eg. /etc/passwd         |\n"
            "|   8    | system administration commands                       |\n")
GLOSSARY = ("Glossary\n\nmanual page\n     A file containing descriptions related to the use of a function or program.\n\n"
            "section\n     Each manual page hierarchy is divided into sections, each section having its own directory.\n")


def test_the_kind_of_thing_asked_for_does_not_name_a_glossary_entry(reader) -> None:
    """man-db's manual has a glossary with a "section" entry: "Which section holds the commands meant for system
    administrators?" was then read as about that entry, so the table row that answers ("8 | system administration
    commands") could not answer, and the question was refused. "Which section" asks for a section."""
    hits = [hit(SECTIONS, 0, "man-db-manual.txt"), hit(GLOSSARY, 1, "man-db-manual.txt")]
    reading = reader.read(ChatRequest("Which section holds the commands meant for system administrators?", hits))
    assert not reading.named_entries and reading.answer[-1].text.startswith("|   8")
    reading = reader.read(ChatRequest("How is each section organised on disk?", hits))  # the entry, named as a subject
    assert list(reading.named_entries.values()) == ["section"]


SED_INFO = ("File: sed.info,  Node: Exit status,  Prev: Command-Line Options,  Up: Invoking sed\n\n2.3 Exit status\n"
            "===============\n\nAn exit status of zero indicates success, and a nonzero value indicates failure.\n\n"
            "* Menu:\n\n* Overview::\n* Command-Line Options::     Options sed takes\n\n"
            "File: sed.info,  Node: Branching and flow control,  Prev: Multiline techniques,  Up: advanced sed\n\n"
            "Branching commands jump to a label in the script.  A script with no label ends the cycle.\n\n"
            "* Labels, in scripts:                    Programming Commands.\n"
            "                                                              (line  31)\n"
            "* label, maximum length:                 Branching and flow control. (line  12)\n")


def test_an_info_manuals_navigation_is_never_quoted(reader) -> None:
    """sed's Info manual: "In a range address written as ADDR1,~N, where does the range stop?" was answered with the
    index's entries ("* ADDR1,~N: Range Addresses. (line 31)"), and their line numbers were the number a trap asked
    for ("What is the maximum length allowed for a branch label name?"). Node headers, menus and index entries are how
    an Info reader moves, not text."""
    branching = SED_INFO[SED_INFO.index("File: sed.info,  Node: Branching"):]
    reading = reader.read(ChatRequest("What is the maximum length of a label in a sed script?", [hit(branching, 0, "sed.txt")]))
    assert reading.candidates and not any(
        c.text.startswith(("File:", "* ")) or "(line" in c.text for c in reading.candidates), reading.candidates
    assert reading.gate == "no passage gives a number"
    reading = reader.read(ChatRequest("Which exit status means success?", [hit(SED_INFO, 0, "sed.txt")]))
    assert reading.answer[0].text.startswith("An exit status of zero")


BADGES = ("Latest development release on GitHub\n~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n\n|GitHub-Status| |GitHub-Stars| "
          "|GitHub-Commits|\n\nPull and install pre-release ``devel`` branch:\n\n.. code:: sh\n\n    pip install "
          "\"git+https://github.com/tqdm/tqdm.git@devel#egg=tqdm\"\n\n.. |GitHub-Status| image:: "
          "https://img.shields.io/github/tag/tqdm/tqdm.svg\n   :target: https://github.com/tqdm/tqdm/releases\n")


def test_restructuredtexts_images_are_no_answers_of_their_own(reader) -> None:
    """tqdm's README: "How do I install the pre-release development branch straight from GitHub?" was answered with a
    line of badges glued to the sentence under it ("|GitHub-Status| |GitHub-Stars| ... Pull and install ..."), and a
    trap with a substitution's definition and its options (".. |Repology| image:: https://... :target: https://...").
    Both are images on the rendered page."""
    reading = reader.read(ChatRequest("How do I install the development branch straight from GitHub?",
                                      [hit(BADGES, 0, "README.rst")]))
    assert squash(reading.answer[0].text) == "Pull and install pre-release ``devel`` branch:"
    assert not any("|GitHub-" in c.text or ":target:" in c.text for c in reading.candidates), reading.candidates


ORJSON = ("Reading from and writing to files, line-delimited JSON files, and so on is\nnot provided by the library.\n\n"
          "orjson supports CPython 3.10, 3.11, 3.12, 3.13, 3.14, and 3.15.\n\nIt distributes amd64/x86_64/x64, i686/x86, "
          "aarch64/arm64/armv8, and armv7 wheels\nfor Linux, amd64 and aarch64 wheels\nfor macOS.\n\nTo package orjson "
          "requires at least [Rust](https://www.rust-lang.org/) 1.95,\na C compiler, and the "
          "[maturin](https://github.com/PyO3/maturin) build tool.\n")


def test_a_sentence_of_values_is_prose_and_versions_are_of_the_product_asked(reader) -> None:
    """orjson's README: "Which CPython releases can orjson be used with?" could not be answered by "orjson supports
    CPython 3.10, 3.11, ...", a sentence with more digits than letters, once read as a table's row; the version of
    Rust answered "What minimum version of maturin is needed?"."""
    reading = reader.read(ChatRequest("Which CPython releases can orjson be used with?", [hit(ORJSON, 0, "README.md")]))
    assert reading.candidates[0].text.startswith("orjson supports CPython 3.10") and reading.confidence > 0
    reading = reader.read(ChatRequest("What minimum version of maturin is needed to build orjson?",
                                      [hit(ORJSON, 0, "README.md")]))
    assert reading.gate == "no passage gives a version"


OPTIONS = ("### OPT_SORT_KEYS\n\nSerialize `dict` keys in sorted order. The default is to serialize in an unspecified "
           "order.\n\n### OPT_UTC_Z\n\nSerialize a UTC timezone on `datetime.datetime` instances as `Z` instead\nof "
           "`+00:00`.\n\n### Installation\n\nTo install a wheel from PyPI, install the `orjson` package.\n")


def test_a_heading_that_is_an_identifier_names_what_its_section_describes(reader) -> None:
    """orjson's README names each option in a heading of its own: "Which option makes UTC datetimes end with a Z
    suffix?" was refused, "no passage gives a command-line option", since the sentence that answers does not repeat
    the option's name. Such a heading is the section's term, quoted without its marks."""
    reading = reader.read(ChatRequest("Which option makes UTC datetimes end with a Z suffix?", [hit(OPTIONS, 0, "README.md")]))
    assert not reading.gate and [squash(c.text) for c in reading.answer][:2] == [
        "OPT_UTC_Z", "Serialize a UTC timezone on `datetime.datetime` instances as `Z` instead of `+00:00`."]
    reading = reader.read(ChatRequest("How do I install orjson?", [hit(OPTIONS, 0, "README.md")]))
    assert squash(reading.answer[0].text).startswith("To install a wheel")  # a heading in words is no term


SESSION = ("   A semicolon (‘;’) may be used to separate most simple commands:\n\n     $ seq 6 | sed '1d;3d;5d'\n     2\n"
           "     4\n     6\n\n   Commands within a SCRIPT can be separated by semicolons or newlines.  Using a "
           "semicolon after ‘a’ leads to undesirable results:\n\n     $ seq 2 | sed '1aHello ; 2d'\n     1\n     Hello ; 2d\n"
           "     2\n")


def test_a_shell_session_is_code_quoted_under_the_sentence_that_leads_it(reader) -> None:
    """sed's Info manual: "Which sed commands cannot be followed by a semicolon?" was answered with an example's
    command and output ("$ seq 2 | sed '1aHello ; 2d' 1 Hello ; 2d 2"). A shell session, its prompt's line and the
    output to the blank line, is code, as a doctest is."""
    reading = reader.read(ChatRequest("How can I put several sed commands on one line?", [hit(SESSION, 0, "sed.txt")]))
    assert not any(c.text.lstrip().startswith("$") for c in reading.candidates), reading.candidates
    p = passages([hit(SESSION, 0, "sed.txt")])[1]
    sessions = [squash(p.sentence(i)) for i in range(len(p.spans)) if p.code(i)]
    assert sessions == ["$ seq 6 | sed '1d;3d;5d' 2 4 6", "$ seq 2 | sed '1aHello ; 2d' 1 Hello ; 2d 2"]


LICENSES = ("- OpenSSL, located at deps/openssl, is licensed as follows:\n  \"\"\"\n                 Apache License\n"
            "           Version 2.0, January 2004\n        https://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR "
            "USE, REPRODUCTION, AND DISTRIBUTION\n\n   1. Definitions.\n  \"\"\"\n\n- npm, located at deps/npm, is licensed "
            "as follows:\n  \"\"\"\n    The npm application\n    Copyright (c) npm, Inc. and Contributors\n    Licensed on "
            "the terms of The Artistic License 2.0\n  \"\"\"\n")


def test_a_quoted_text_after_as_follows_is_read_from_its_title(reader) -> None:
    """Node.js's LICENSE: "Under which licence is the bundled OpenSSL distributed?" was answered with "- OpenSSL, located
    at deps/openssl, is licensed as follows: \\"\\"\\"" alone: the sentence ended on the triple quotes, so it opened no list,
    and the licence's title under them was a heading, where a list stops. A sentence opens what it quotes, and the
    titles that open what "follows" are its items; the quote stops before the triple quotes."""
    reading = reader.read(ChatRequest("Under which licence is the bundled OpenSSL distributed?",
                                      [hit(LICENSES, 0, "copyright.txt")]))
    quoted = [squash(c.text) for c in reading.answer]
    assert quoted[:3] == ["- OpenSSL, located at deps/openssl, is licensed as follows:", "Apache License",
                          "Version 2.0, January 2004 https://www.apache.org/licenses/"], quoted
    assert not any(q.startswith("TERMS") for q in quoted)  # a title after the licence's first words is another part


def test_the_next_sections_heading_is_no_item_of_a_list_whose_items_are_images(reader) -> None:
    """tqdm's README: "... may be downloaded, particularly for CLI use:" over a badge, then the next section's
    heading "Changelog" after a blank line, was quoted as the list and its item."""
    text = ("There are other (unofficial) places where ``tqdm`` may be downloaded, particularly for CLI use:\n\n"
            "|Repology|\n\n.. |Repology| image:: https://repology.org/badge/tiny-repos/python:tqdm.svg\n\n"
            "Changelog\n---------\n\nThe list of all changes is available on GitHub's Releases.\n")
    reading = reader.read(ChatRequest("Where else can tqdm be downloaded for command-line use?", [hit(text, 0, "README.rst")]))
    assert "Changelog" not in [squash(c.text) for c in reading.answer]


def test_pods_markup_and_headings_are_never_quoted(reader) -> None:
    """ExtUtils::MakeMaker's FAQ (POD): "=head1 NAME ExtUtils::MakeMaker::FAQ - ..." was quoted as an answer."""
    pod = ("=head1 NAME\n\nExtUtils::MakeMaker::FAQ - Frequently Asked Questions About MakeMaker\n\n=over 4\n\n=item How "
           "do I install a module into my home directory?\n\nIf you're not the Perl administrator you probably don't "
           "have\npermission to install a module to its default location.\n\n=back\n\n=cut\n")
    reading = reader.read(ChatRequest("Why can't I install a Perl module to the default location?", [hit(pod, 0, "faq.txt")]))
    assert reading.candidates and not any(c.text.startswith("=") for c in reading.candidates), reading.candidates
    assert squash(reading.answer[0].text).startswith("If you're not the Perl administrator")


WATCHDOG = ("- [build] Wheels are now available for Python 3.11 (`#932 <https://github.com/gorakhargosh/watchdog/pull/932>`__)\n"
            "- [fsevents2] The ``fsevents2`` observer is now deprecated (`#909 <https://github.com/gorakhargosh/watchdog/pull/909>`__)\n"
            "- [utils] Remove unnecessary code in ``dirsnapshot.py`` (`#930 <https://github.com/gorakhargosh/watchdog/pull/930>`__)\n")
AZURE = ("## 1.26.0 (2026-09-30)\n\n### Features Added\n\n- `ManagedIdentityCredential` now supports user-assigned "
         "identities on Azure Arc-enabled servers.\n\n## 1.25.3 (2026-08-12)\n\n### Bugs Fixed\n\n- Fixed a bug where "
         "`AzureCliCredential` ignored the tenant given to `get_token`.\n")


def test_a_changelog_entry_answers_in_which_release_with_the_heading_it_is_under(reader) -> None:
    """watchdog's and azure-identity's changelogs: "In which release was the fsevents2 observer deprecated?" was
    refused ("no passage gives a version") or answered with another entry that names a version: the entry names
    none, the release heading above it does. The heading is quoted with the entry, from the chunk's heading path
    where the chunk does not hold it (a lead the grounding check finds in the path)."""
    entry = Chunk("d:0", "d", WATCHDOG, page=1, start=0, end=len(WATCHDOG), title="watchdog-README.rst", owner="u",
                  section="2.2.1 > 2.2.0")
    request = ChatRequest("In which release was the fsevents2 observer deprecated?", [Hit(entry, 1.0, 1, 1)])
    reading = reader.read(request)
    assert not reading.gate and reading.lead == "2.2.0" and "fsevents2" in reading.answer[0].text
    text = "".join(p for p in reader.stream(request) if isinstance(p, str))
    assert text.startswith("2.2.0 [1] - [fsevents2] The ``fsevents2`` observer is now deprecated")
    reading = reader.read(ChatRequest("In which release did ManagedIdentityCredential gain support for user-assigned "
                                      "identities on Arc-enabled servers?", [hit(AZURE, 0, "README.md")]))
    assert [c.text for c in reading.answer][:2] == ["1.26.0 (2026-09-30)", "- `ManagedIdentityCredential` now supports "
                                                    "user-assigned identities on Azure Arc-enabled servers."]
    # another product's version is not the release's: a changelog's heading does not say which Python is required
    reading = reader.read(ChatRequest("Which Python version does the credential support on Arc-enabled servers?",
                                      [hit(AZURE, 0, "README.md")]))
    assert reading.gate == "no passage gives a version"


def test_a_question_that_names_a_release_is_answered_from_its_entries(reader) -> None:
    """pydantic's changelog: "Which libc version did the 2.13.4 release move to?" was answered from another release's
    entries; an entry of the release the question states answers, also from a chunk whose heading path names it."""
    later = "- Bump PyO3 to 0.28 and jiter to 0.13 by @davidhewitt.\n- Bump libc from 0.2.150 to 0.2.155 by @Viicos.\n"
    earlier = "- Bump libc from 0.2.155 to 0.2.185 by @Viicos in #13109.\n"
    hits = [Hit(Chunk("d:0", "d", later, page=1, start=0, end=len(later), title="README.md", owner="u",
                      section="v2.14.2 (2026-10-29) > What's Changed > Packaging"), 1.0, 1, 1),
            Hit(Chunk("d:1", "d", earlier, page=1, start=500, end=500 + len(earlier), title="README.md", owner="u",
                      section="v2.13.4 (2026-06-01) > What's Changed > Packaging"), 0.9, 2, 2)]
    reading = reader.read(ChatRequest("Which libc version did the 2.13.4 release move to?", hits))
    assert reading.answer and all(c.source == 2 for c in reading.answer)
    reading = reader.read(ChatRequest("Which libc version did the 2.14.2 release move to?", hits))
    assert reading.answer and all(c.source == 1 for c in reading.answer)



def test_a_release_is_the_later_of_a_changes_between_heading(reader) -> None:
    """OpenSSL's NEWS heads each release's changes "Major changes between OpenSSL 3.0.16 and OpenSSL 3.0.17 [1 Jul
    2025]": "Was OpenSSL 3.0.17 a security patch release?" was answered from 3.0.18's section, whose heading also
    states 3.0.17; such a heading names no release the reader knew."""
    news = ("### Major changes between OpenSSL 3.0.17 and OpenSSL 3.0.18 [30 Sep 2025]\n\n"
            "OpenSSL 3.0.18 is a security patch release. The most severe CVE fixed in this release is Moderate.\n\n"
            "### Major changes between OpenSSL 3.0.16 and OpenSSL 3.0.17 [1 Jul 2025]\n\n"
            "OpenSSL 3.0.17 is a bug fix release.\n")
    reading = reader.read(ChatRequest("Was OpenSSL 3.0.17 a security patch release?", [hit(news, 0, "NEWS.md")]))
    assert "OpenSSL 3.0.17 is a bug fix release." in [c.text for c in reading.answer]
    assert "OpenSSL 3.0.18 is a security patch release." not in [c.text for c in reading.answer]


def test_an_entry_answers_for_the_release_heading_it_is_under_in_its_passage(reader) -> None:
    """gdk-pixbuf's NEWS: the entry that answers "Who fixed the LZW code size check in 2.42.9?" is under the heading
    "2.42.9 (stable)\n===" in the same chunk, far down its list; the release it states is required, and the window
    of an entry under a release heading holds that heading."""
    news = ("2.42.10 (stable)\n===\n\n- Search for rst2man.py [!145, Matt Turner]\n- Translation updates\n\n"
            "2.42.9 (stable)\n===\n\n- Use CMake for dependencies on Windows/MSVC [!131, Chun-Wei Fan]\n"
            "- Add option for building tests [!132]\n- Move man pages to reStructuredText [!134]\n"
            + "".join(f"- Build fix for platform {n} [!{n}]\n" for n in range(140, 146)) +
            "- Fix the check for maximum value of LZW initial code size [#136, Robert Ancell]\n")
    question = "Who corrected the upper bound on the LZW starting code size in 2.42.9?"
    reading = reader.read(ChatRequest(question, [hit(news, 0, "NEWS.txt")]))
    assert not reading.gate and "Robert Ancell" in " ".join(c.text for c in reading.answer)


def test_another_releases_notes_do_not_answer_for_a_release_stated_to_its_patch_level(reader) -> None:
    """OpenSSL's NEWS: "When did OpenSSL 3.0.0 come out?" was answered with "Major changes between OpenSSL 3.0.4 and
    OpenSSL 3.0.5 [5 Jul 2022]" (confidence 66 %): a date, of another release. 3.0.10's notes are not 3.0.1's."""
    news = ("### Major changes between OpenSSL 3.0.4 and OpenSSL 3.0.5 [5 Jul 2022]\n\n"
            "* Fixed heap memory corruption with RSA private key operation.\n\n"
            "### Major changes between OpenSSL 3.0.9 and OpenSSL 3.0.10 [1 Aug 2023]\n\n"
            "* Fix excessive time spent checking DH q parameter value.\n")
    for release in ("3.0.0", "3.0.1"):
        reading = reader.read(ChatRequest(f"When did OpenSSL {release} come out?", [hit(news, 0, "NEWS.md")]))
        assert reading.gate.startswith("no passage mentions") and reading.confidence == 0.0
    reading = reader.read(ChatRequest("When did OpenSSL 3.0.5 come out?", [hit(news, 0, "NEWS.md")]))
    assert not reading.gate
    assert [c.text for c in reading.answer] == ["### Major changes between OpenSSL 3.0.4 and OpenSSL 3.0.5 [5 Jul 2022]"]


WGET = ("'--waitretry=SECONDS'\n     If you don't want Wget to wait between _every_ retrieval, but only between retries of "
        "failed downloads, you can use this option.  Wget will use linear backoff, waiting 1 second after the first "
        "failure on a given file, then waiting 2 seconds after the second failure on that file.  By default, Wget will "
        "assume a value of 10 seconds.\n\n'--tries=NUMBER'\n     Set number of tries to NUMBER.  Specify 0 or 'inf' for "
        "infinite retrying.  The default is to retry 20 times, with the exception of fatal errors like \"connection "
        "refused\" or \"not found\" (404), which are not retried.\n")


def test_how_many_is_answered_by_a_number_of_what_it_counts(reader) -> None:
    """wget's manual: "How many times will Wget retry a download by default?" was answered with --waitretry's "waiting
    1 second after the first failure ... 10 seconds": a number, but of seconds. Where a sentence gives a number of what
    the question counts ("retry 20 times"), only such a sentence holds the value asked for."""
    reading = reader.read(ChatRequest("How many times will Wget retry a download by default before giving up?",
                                      [hit(WGET, 0, "wget-info.txt")]))
    assert "retry 20 times" in " ".join(c.text for c in reading.answer)
    assert read_question("How many trailing lines does tail show?").unit == "lines"
    assert read_question("How many does it take?").unit == ""
    # bc's manual: the count after its noun
    assert counts("The current limit on the number of unique names is 32767 for each of simple variables", "names")
    assert not counts("Wget will assume a value of 10 seconds.", "times")


def test_a_copyright_files_holder_is_quoted_from_the_record_that_names_the_file(reader) -> None:
    """"Who holds the copyright on src/login_nopam.c?" over shadow's copyright file was answered with every record
    the chunk holds, glued: each field is a unit, the Copyright field is read next to its record's Files field, and
    the holders of other records' files are not quoted."""
    text = ("Files: src/login_nopam.c\nCopyright: 1995, Wietse Venema\nLicense: BSD-3-clause\n\n"
            "Files: man/ja/man8/pwconv.8\nCopyright: 2001, Yuichi SATO\nLicense: BSD-3-clause\n\n"
            "Files: src/su.c\nCopyright: 1989 - 1994, Julianne Frances Haugh\n  2000 - 2006, Tomasz Kloczko\n"
            "License: BSD-3-clause\n")
    said, assessment = answer(reader, "In the shadow package, who holds the copyright on src/login_nopam.c?", text,
                              titles=("shadow-copyright.txt",))
    assert "Wietse Venema" in said and "SATO" not in said and "Haugh" not in said


def test_an_identifier_the_section_heading_names_is_covered(reader) -> None:
    """pkg_resources' reference: "What is the WorkingSet entries attribute mainly good for?" is answered by the
    "entries" entry under the heading "WorkingSet Methods and Attributes", which a Word document's section holds (its
    chunk's section), not the entry's sentences; the reader had refused it, "no passage mentions WorkingSet"."""
    from dataclasses import replace

    text = 'entries\n\nThis attribute represents a "shadow" sys.path, primarily useful for debugging.'
    sectioned = hit(text, title="pkg_resources.docx")
    sectioned = replace(sectioned, chunk=replace(sectioned.chunk, section="WorkingSet Methods and Attributes"))
    question = "What is the WorkingSet entries attribute mainly good for?"
    said = "".join(p for p in reader.stream(ChatRequest(question, [sectioned])) if isinstance(p, str))
    assert "useful for debugging" in said and not said.startswith(NOT_FOUND)
    said = "".join(p for p in reader.stream(ChatRequest(question, [hit(text, title="pkg_resources.docx")]))
                   if isinstance(p, str))
    assert said.startswith(NOT_FOUND)  # no heading names it: the reader cannot tell the entry is WorkingSet's


def test_a_list_item_answers_in_which_release_under_its_heading(reader) -> None:
    """OpenSSL's NEWS in Word: "In which 3.0 patch release was ... CVE-2024-13176 fixed?" quoted the fix, an item of
    "This release incorporates the following bug fixes and mitigations:", without the release: a list's item was
    quoted with its opener and never under the release heading the chunk's section holds."""
    text = ("This release incorporates the following bug fixes and mitigations:\n\n"
            "\u2022 Fixed timing side-channel in ECDSA signature computation. (CVE-2024-13176)\n\n"
            "\u2022 Fixed possible buffer overread in SSL_select_next_proto() (CVE-2024-5535)\n")
    chunk = Chunk("d:0", "d", text, page=7, start=0, end=len(text), title="openssl-NEWS.docx", owner="u",
                  section="Major changes between OpenSSL 3.0.15 and OpenSSL 3.0.16 [11 Feb 2025]")
    said = "".join(p for p in reader.stream(ChatRequest(
        "In which 3.0 patch release was the ECDSA signing timing leak CVE-2024-13176 fixed?", [Hit(chunk, 1.0, 1, 1)]))
        if isinstance(p, str))
    assert "3.0.16" in said and "CVE-2024-13176" in said
