"""Reading a question: the kind of answer it wants, its decisive terms, the document it names."""

from __future__ import annotations

import pytest

from rag.backends.local.question import (
    answer_kind,
    holds_kind,
    identifiers,
    manual_page,
    read_question,
    same_release,
    title_words,
)
from rag.text import release_of


@pytest.mark.parametrize(("question", "kind"), [
    ("How many bytes does the header take?", "number"),
    ("What is the default weight of a glob?", "number"),
    ("How long may the cover texts be?", "number"),
    ("In which version was asn1_dup_node introduced?", "version"),
    ("When was the specification last updated?", "date"),
    ("Who maintains the shared database?", "name"),
    ("Which option makes ls list directories first?", "option"),
    ("What are the conditions for redistribution?", "list"),
    ("How do I remove an optional field?", "procedure"),
    ("What does the sticky bit mean?", "definition"),
    ("Does GPLv3 allow sublicensing?", "yesno"),
    ("Why are globs tried before magic?", "other"),
    # analysts' phrasings: a leading phrase before the auxiliary, a request, a plural asked for, a role
    ("Under MPL 2.0, may compiled binaries be shipped under another licence?", "yesno"),
    ("Am I allowed to use the licensor's brand?", "yesno"),
    ("Can you name examples of the volume types?", "list"),
    ("Which other licences does MPL 2.0 treat as compatible?", "list"),
    ("What is the role of the x-scheme-handler types?", "definition"),
    ("What does the ?CURRENT path token signify?", "definition"),
    ("Which compression level does gzip pick by default?", "number"),
    ("What kinds of material make up the original version of a work?", "list"),
    ("What is the version of the specification?", "version"),
    # an amount asked for by its unit or its extreme
    ("What is the most, in dollars, that the licence lets me charge?", "number"),
    ("What is the longest pattern, in characters, the file allows?", "number"),
    # a program's exit status is a number
    ("What return code does gzip give when it hit only a warning?", "number"),
    ("What exit status does ls finish with on a serious problem?", "number"),
    # the main clause asks for a way, whatever its object asks for
    ("How can uniq count how many times each line occurs?", "procedure"),
    ("With sort, how can I order lines by raw bytes no matter what language settings are active?", "procedure"),
    ("How many times does uniq print a repeated line?", "number"),
    ("What is the default delimiter cut uses between fields?", "other"),  # the noun decides, not "default"
    ("What is the default timeout?", "number"),
    # how soon asks for a time
    ("How quickly must staff confirm a hold notice?", "number"),
    ("How soon are deleted records purged from backups?", "number"),
    # a user's or group's id and a network port are numbers; a port of entry is a place
    ("What is the UID of the staff group?", "number"),
    ("Which port does the uucp daemon listen on?", "number"),
    ("What is the port of entry for the goods?", "other"),
    ("What is the release date of Git 2.14?", "date"),
    ("Which Node.js version removed setInterval?", "version"),
    # "the ... version" asks a version as "which version" does (Debian's Python policy names none for Bookworm)
    ("What is the default Python 3 version in Bookworm?", "version"),
    ("What was the first release of libtasn1 with this?", "version"),
    ("What is the release process?", "definition"),
    # a version asked for by the product's name in two words, or in the plural; a timeout is an amount
    ("In which GNU sed release was the --sandbox option first introduced?", "version"),
    ("Which CPython releases can orjson be used with?", "version"),
    ("What does the release process require?", "other"),
    ("Which release notes mention the fix?", "other"),
    ("What timeout does sed apply to shell commands run by the e command?", "number"),
    ("What does timeout.close() do?", "other"),  # not a timeout asked for
    ("At what nesting depth of arrays does orjson.loads() raise an error?", "number"),
    # a question that opens with its auxiliary asks yes or no, whatever its object names, unless it asks the value too
    ("Is it necessary to check the return code of deflateEnd()?", "yesno"),
    ("Can a package list python-is-python3 as one of its build dependencies?", "yesno"),
    ("Is there a cap on how many sort keys sort accepts, and what is it?", "number"),
])
def test_answer_kind(question: str, kind: str) -> None:
    assert answer_kind(question) == kind


@pytest.mark.parametrize(("kind", "text", "holds"), [
    ("number", "The default weight value is 50.", True),
    ("number", "There is also an optional weight attribute.", False),
    ("number", "Lines of ten or fewer are fine.", True),
    ("number", "ASN1_MAX_NAME_SIZE is the longest name a node may have.", False),
    ("number", "Use the dircolors(1) command to set it.", False),  # a man page's section names a page, not a value
    ("number", "(1) a consumer product, or (2) anything designed for a dwelling", True),
    ("number", "The stored data may be zero-length, a one-time pad.", False),  # compound adjectives, not values
    ("number", "It may return zero even if the length is one.", True),
    ("version", "since libtasn1 3.7 the ider parameters can be omitted", True),
    ("version", "the parameters can be omitted", False),
    ("version", "Git can be built with PCRE v2 instead.", True),
    ("version", "As v1 is abandoned, use of v2 is recommended.", False),  # "v2" alone: of what?
    ("version", "Code under the GPLv3 may be combined.", False),  # a licence's name
    ("option", "Use --group-directories-first to list them first.", True),
    ("option", "It lists directories first.", False),
    ("date", "last updated 2 October 2018", True),
    # a version or a date names, it does not measure: no amount in them
    ("number", "This is version 0.21 of the spec, last updated 2 October 2018.", False),
    ("number", "GNU GENERAL PUBLIC LICENSE Version 2, June 1991", False),
    ("number", "Revised in May 2020 with 3 fixes.", True),
    # "once" as a conjunction gives no count; "once a day", "only once" do
    ("number", "Records are destroyed once they are no longer needed.", False),
    ("number", "Once the file is read, it is closed.", False),
    ("number", "The job runs once a day.", True),
    # "zero or more", "one or more", "more than one" count nothing
    ("number", "Each package has a list of zero or more pending triggers.", False),
    ("number", "Where a package has more than one trigger, list them.", False),
    ("number", "A package may declare one or more, up to 64 triggers.", True),
    ("number", "A hold may be lifted only once.", True),
    # "who" is answered by a name, or by a role
    ("name", "Your line manager approves claims up to 500 euros.", True),
    ("name", "Breaches are reported to the Data Protection Officer.", True),
    ("name", "Claims are paid with the next monthly salary.", False),
])
def test_holds_kind(kind: str, text: str, holds: bool) -> None:
    assert holds_kind(text, kind) is holds


@pytest.mark.parametrize(("kind", "text", "asked", "holds"), [
    # a value the question states itself does not answer it
    ("number", "a long enough sequence of zero bytes", "How many zero bytes in a row make a hole?", False),
    ("number", "at least 512 zero bytes", "How many zero bytes in a row make a hole?", True),
    ("number", "The 3 conditions are met.", "Under GPLv3, how many conditions are there?", True),  # "3" is not a token of it
    ("option", "the correct MIME type for a file", "Which tar switch does the MIME spec recommend?", False),
    ("option", "Use --xattrs to keep the MIME type.", "Which tar switch does the MIME spec recommend?", True),
    ("list", "red, green and blue", "Which colours, red or green, are used?", True),  # a list is a shape, not a value
    # a version of another product than the one asked about does not answer ("Which Git version ...")
    ("version", "Git can now be built with PCRE v2 instead of v1.", "Which Git version dropped PCRE v1?", False),
    ("version", "Git can now be built with PCRE v2 instead of v1.", "Which PCRE version is recommended?", True),
    ("version", "It builds with GCC 10.1 or later.", "Which Python version is needed?", False),
    ("version", "It can generate Ninja files as of CMake version 2.8.8.", "Since which CMake version ...?", True),
    ("version", "(Available since Ninja 1.3.)", "Which Ninja release added deps?", True),
    ("version", "since libtasn1 3.7 the parameters may be omitted", "In which libtasn1 release ...?", True),
    ("version", "(Available since 1.3.)", "Which minimum version is needed?", True),
    # the product named after the version asked for, or before it with other words; a capitalised name in a sentence
    ("version", "It requires Rust 1.95, a C compiler and maturin.", "What minimum version of maturin is needed?", False),
    ("version", "It requires Rust 1.95, a C compiler and maturin.", "Which Rust version is needed?", True),
    ("version", "Wheels for macOS run on CPython 3.10.", "What is the oldest macOS release it runs on?", False),
    ("version", "orjson supports CPython 3.10, 3.11 and 3.12.", "Which CPython releases can orjson be used with?", True),
    ("version", "It supports CPython 3.10, 3.11, and 3.12.", "What minimum version of maturin is needed?", False),
    ("version", "This manual is for GNU Libtasn1 (version 4.19.0)", "Which release of GNU's ASN.1 toolkit is it for?", True),
    # a table's row: the name in the version's own cell, not the cell before it (the row's architecture)
    ("version", "macOS | x64 | >= 10.15 | Tier 1", "What is the oldest macOS release supported on Intel Macs?", True),
    ("version", "macOS | Xcode >= 11 (Apple LLVM >= 11.0)", "What is the oldest macOS release supported?", False),
])
def test_a_value_the_question_states_is_not_an_answer(kind: str, text: str, asked: str, holds: bool) -> None:
    assert holds_kind(text, kind, asked) is holds


def test_the_value_a_question_cannot_be_answered_without() -> None:
    assert read_question("How many zero bytes make a hole?").value_needed == "number"
    assert read_question("Which tar switch keeps extended attributes?").value_needed == "switch"
    assert read_question("Which cp option leaves existing files untouched?").value_needed == "switch"
    # "which function" or "which element" may be answered in words: no value is needed
    assert read_question("Which function copies a node?").value_needed is None
    assert read_question("Why are globs tried before magic?").value_needed is None
    assert holds_kind("Use --xattrs when archiving.", "switch", "Which tar switch keeps attributes?")
    assert not holds_kind("Extended attributes are lost unless kept.", "switch", "Which tar switch keeps attributes?")
    assert not holds_kind("Give --xattrs to keep them.", "switch", "Does the --xattrs switch keep attributes?")
    # a keyword set as code is an option too (CMake's reference: "Which option is recommended so that command
    # arguments are escaped properly?" was refused, "no passage gives a command-line option"), not the one asked about
    asked = "Which option is recommended so that command arguments are escaped properly?"
    assert holds_kind("Use of ``VERBATIM`` is recommended as it enables correct behavior.", "switch", asked)
    assert holds_kind("Pass the `FORCE` keyword to overwrite it.", "switch", asked)
    assert not holds_kind("Use of ``VERBATIM`` is recommended.", "switch", "Which option does VERBATIM replace?")
    # qualified by its module (orjson's README: "Which option makes UTC datetimes end with a Z suffix?")
    assert holds_kind('To use "Z" instead of "+00:00", use the option `orjson.OPT_UTC_Z`.', "switch", asked)
    assert not holds_kind("See the ``zip`` module and `LC_ALL' in the manual.", "switch", asked)
    # an option named in quotes after the word: e2fsprogs' release notes ("Which mke2fs option skips zeroing the
    # journal?" had quoted "mke2fs -d" from another note, the only sentence with a dash)
    asked = "Which mke2fs option skips zeroing the journal and inode tables?"
    assert holds_kind('Mke2fs now supports the extended option "assume_storage_prezeroed" which causes', "switch", asked)
    assert holds_kind("Mount it with the options 'noatime,nodiratime' set.", "switch", asked)
    assert not holds_kind("This option skips zeroing the journal.", "switch", asked)


def test_identifiers_are_code_like_tokens() -> None:
    found = identifiers("What is the numeric value of ASN1_MAX_NAME_SIZE for asn1Parser with --check?")
    assert {"ASN1_MAX_NAME_SIZE", "asn1Parser", "--check"} <= set(found)
    assert identifiers("What does %e show in NINJA_STATUS, and 50% of it?") == ["%e", "NINJA_STATUS"]  # a placeholder
    assert "numeric" not in found and "value" not in found


def test_a_question_names_a_document_by_its_title_or_with_a_naming_word() -> None:
    assert read_question("What does the Apache licence say about trademarks?").names("Apache-2.0.txt")
    assert read_question("Under GPL-3, what is conveying?").names("GPL-3.txt")
    assert read_question("What does the tar manual say about --strip-components?").names("tar.1.txt")
    assert read_question("Which libtasn1 function copies a node?").names("libtasn1.pdf")
    # a common word that happens to be a title is not a name unless something says so
    assert not read_question("Where can I find the default weight?").names("find.1.txt")
    assert not read_question("What does the Apache licence say about trademarks?").names("GPL-3.txt")


def test_title_words() -> None:
    assert {"gpl", "gpl-3"} <= title_words("GPL-3.txt")
    assert "tar" in title_words("tar.1.txt")
    assert "txt" not in title_words("BSD.txt")


def test_rare_words_are_decisive_common_ones_are_not() -> None:
    question = read_question("How are glob patterns weighted in the mime cache?")
    assert "glob" in question.rare
    assert "pattern" not in question.rare


def test_a_possessive_is_the_word_itself() -> None:
    from rag.text import content_terms

    assert content_terms("grep's file\u2019s don't") == ["grep", "file", "don't"]
    assert "file" not in read_question("Which option prints each file's type?").rare  # "file's" is not rare


def test_document_names_are_the_word_before_man_page_manual_licence_or_spec() -> None:
    assert read_question("According to the ls man page, which option lists all?").document_names() == ["ls"]
    assert read_question("Under the BSD licence, what must a binary carry?").document_names() == ["BSD"]
    assert read_question("What does the manual say?").document_names() == []  # "the" names nothing
    # a word that describes a manual rather than names one: "the reference manual" is not a document called "reference"
    assert read_question("Which release is the reference manual written for?").document_names() == []
    assert read_question("Is the user manual for tar online?").document_names() == []
    # an analyst's own documents: a policy, a guide, an FAQ ("the FAQ" is one document by its kind alone)
    assert read_question("According to the retention policy, how long are invoices kept?").document_names() == [
        "retention"]
    assert read_question("How long is CCTV footage kept according to the FAQ?").document_names() == ["FAQ"]
    assert read_question("What does the expenses FAQ say about alcohol?").names("expenses-faq.docx", explicitly=True)
    assert read_question("What does the retention policy say?").names("retention-policy.docx", explicitly=True)
    assert not read_question("What does the retention policy say?").names("expenses-faq.docx")


def test_a_spelled_out_acronym_names_its_document_not_the_shorter_one() -> None:
    """ "the Lesser GPL" is LGPL-2.1, not GPL-3; "the GNU Free Documentation License" is the GFDL."""
    lesser = read_question("Under the Lesser GPL 2.1, how long may an inline function be?")
    assert lesser.names("LGPL-2.1.txt") and not lesser.names("GPL-3.txt")
    fdl = read_question("What does the GNU Free Documentation License say about patents?")
    assert fdl.names("GFDL-1.3.txt") and not fdl.names("GPL-3.txt")
    assert read_question("Under the Mozilla Public License, may I relicense?").names("MPL-2.0.txt")
    gpl = read_question("Under the GNU GPL, must I share the source?")  # an acronym after an acronym stays itself
    assert gpl.names("GPL-3.txt") and not gpl.names("LGPL-2.1.txt")


@pytest.mark.parametrize(("question", "program"), [
    ("With chown, how do I change a file's owner?", "chown"),
    ("Using gzip, how do I keep the input file?", "gzip"),
    ("With that, how do I start?", None),  # a stopword, not a program
    ("With permission, may I copy the manual?", None),  # a common word: the question's subject is elsewhere
    ("With Git's ignore files, what does tar skip?", None),  # capitalised: a name the other rules read
    ("How do I change a file's owner with chown?", None),  # only a leading "With X," names the subject
])
def test_the_program_a_question_opens_with(question: str, program: str | None) -> None:
    assert read_question(question).program() == program


def test_a_manual_pages_file_names_its_program() -> None:
    assert manual_page("tail.1.txt") == "tail" and manual_page("sshd.8") == "sshd" and manual_page("dbus-run-session.1.txt") == "dbus-run-session"
    assert manual_page("report.2024.txt") is None and manual_page("openssl.1ssl") == "openssl"
    assert manual_page("GPL-3.txt") is None and manual_page("libtasn1.pdf") is None and manual_page("MPL-2.0.docx") is None


def test_a_package_version_with_its_revision_is_an_identifier_the_answer_must_hold() -> None:
    """A Debian changelog's entries are told apart by their versions: "Which CVE was fixed in gzip 1.12-1?" was
    answered with another entry's CVE. A version with its revision is as specific as a code name; a bare version
    ("GPL 2.0") is not required, since a text may not repeat it."""
    assert read_question("Which CVE was fixed in gzip 1.12-1?").required([]) == ["1.12-1"]
    assert read_question("Who uploaded gzip 1.3.12-3.2?").required([]) == ["1.3.12-3.2"]
    assert read_question("What changed in version 2.0 of the GPL?").required([]) == []


def test_a_hyphenated_name_is_one_identifier_and_the_documents_own_name_is_not_required() -> None:
    """Node.js's build guide as a Word document, nodejs-BUILDING.docx: "win-x64" was read as "x64", which the platform
    list's "Windows | x64, x86" row holds, and "Node.js", the document's own name, was required of every answer."""
    assert read_question("On which server OS are the official win-x64 binaries built?").required([]) == ["win-x64"]
    assert read_question("What is the oldest AIX release Node.js supports?").required(["nodejs-BUILDING.docx"]) == []
    assert read_question("What is the oldest AIX release Node.js supports?").required(["README.md"]) == ["Node.js"]
    # "2.x" is any 2 release, which the text gives as "2.7" (Debian's Python policy), not a file's name
    assert read_question("Which PEP documents the support for the final 2.x minor release?").required([]) == []
    # an acronym's plural is an acronym: the text says "The most severe CVE fixed ..."
    assert read_question("What was the highest severity among the CVEs addressed in 3.0.18?").required([]) == [
        "3.0.18"]


def test_a_release_stated_to_its_patch_level_is_required() -> None:
    """OpenSSL's NEWS: "When did OpenSSL 3.0.0 come out?" was answered with 3.0.5's heading, its date. A release
    stated to its patch level names one release; a licence's "2.1" or a series' "3.0" does not, nor does a package's
    revision's part."""
    assert read_question("When did OpenSSL 3.0.0 come out?").required([]) == ["OpenSSL", "3.0.0"]
    assert read_question("Which libc version did the 2.13.4 release move to?").required([]) == ["2.13.4"]
    assert read_question("What known issues were listed for 1.0.0m?").required([]) == ["1.0.0m"]
    assert read_question("How did the requirement change between 2.21.7 and 2.22.0?").required([]) == []
    assert read_question("Which algorithms moved to the legacy provider in 3.0 under LGPL 2.1?").required([]) == []
    assert read_question("Who uploaded gzip 1.3.12-3.2?").required([]) == ["1.3.12-3.2"]
    assert read_question("Why was 5.3.2alpha released early?").required([]) == ["5.3.2alpha"]
    assert read_question("What did 1.26.0b2 add?").required([]) == ["1.26.0b2"]


@pytest.mark.parametrize(("heading", "release"), [
    ("2.2.0", "2.2.0"), ("v2.14.3 (2026-11-04)", "2.14.3"), ("## 1.26.0b2 (2026-02-11)", "1.26.0b2"),
    ("E2fsprogs 1.47.0 (February 5, 2023)", "1.47.0"), ("Version 2.0 - 2024-01-01", "2.0"),
    ("3.2 Invoking asn1Coding", ""), ("Version 2.1, February 1999", ""), ("Python 3.8 support", ""), ("1.1 Overview", ""),
    # OpenSSL's NEWS: the changes since the release before, under the later one
    ("Major changes between OpenSSL 3.0.16 and OpenSSL 3.0.17 [1 Jul 2025]", "3.0.17"),
    ("Changes between 1.1.1 and 3.0.0", "3.0.0"), ("OpenSSL 3.0.17 [1 Jul 2025]", "3.0.17"),
])
def test_a_changelogs_release_heading_names_its_version(heading, release):
    assert release_of(heading) == release


def test_a_question_states_a_release_or_asks_for_one():
    assert read_question("Which libc version did the 2.13.4 release move to?").releases == ("2.13.4",)
    assert read_question("Which hook came with the first v2.12 alpha?").releases == ("2.12",)
    assert same_release("2.12.0a1", "2.12") and same_release("2.12.3", "2.12") and not same_release("2.120.0", "2.12")
    asked = read_question("In which release was the fsevents2 observer deprecated?")
    assert asked.asks_release("watchdog-README.rst") and not read_question(
        "Which Python version does watchdog require?").asks_release("watchdog-README.rst")
    assert read_question("In which watchdog version was fsevents2 deprecated?").asks_release("watchdog-README.rst")
