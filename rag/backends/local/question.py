"""What a question asks for: the kind of answer it wants, the terms an answer must cover, the
document it names. Used by the extractive reader to accept only evidence that can answer."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import STOPWORDS, WORD, content_terms, stem

NUMBER_WORDS = ("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                "fifty|sixty|hundred|thousand|million|billion|once|twice|half|single|double")
SUBJECTS = "they|the|it|we|you|he|she|this|that|these|those|its|their|your|our|his|her|all|every|each|any|some|no"
# what a sentence must hold to answer each kind of question
HOLDS = {
    # not a man page's section reference ("dircolors(1)", "chmod(2)"): that names a page, it gives no value
    # nor "once" as a conjunction ("... destroyed once they are no longer needed"): that gives no count
    "number": re.compile(rf"(?<![\w.])(?<!\w\()\d+(?:[.,]\d+)*(?![A-Za-z_])|\b(?!once\b)(?:{NUMBER_WORDS})\b(?!-\w)|"
                         rf"\bonce\b(?!\s+(?:{SUBJECTS})\b)", re.IGNORECASE),
    # "2.8.8", "version 2", "PCRE v2" (not "GPLv3": a name)
    "version": re.compile(r"\b(?:v(?:ersion)?\s*)?\d+\.\d+(?:\.\d+)*\b|\bversion\s+\d+|\brelease\s+\d|\bv\d+\b",
                          re.IGNORECASE),
    "date": re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September|"
                       r"October|November|December)\b"),
    # a named person or body, or one by its role ("your line manager", "the finance director")
    "name": re.compile(r"\b[A-Z][\w&.-]+(?:\s+(?:of\s+)?[A-Z][\w&.-]+)+|\b(?:Inc|Ltd|Foundation|Corporation|Project|"
                       r"University|Consortium)\b|@|\b(?i:manager|director|officer|committee|department|team|board|"
                       r"counsel|secretary|administrator|maintainer|steward)s?\b"),
    "option": re.compile(r"(?<![\w-])--?[A-Za-z0-9][\w-]*|\b\w+_\w+\b|\b[a-z]+[A-Z]\w*\b|\b[A-Z]{2,}[A-Z0-9_]*\b|"
                         r"\w+\(\)|<[\w:-]+>|\B/[\w./-]+|\b\w+\.(?:xml|txt|cache|conf|h|c)\b|\"[^\"]{1,40}\"|'[^']{1,40}'"),
    # a command-line option: what "which switch ..." asks for, where "which function ..." may be answered in words
    # ... or one named in quotes after the word (mke2fs's extended option "assume_storage_prezeroed", mount's 'noatime')
    # ... or a keyword set as code (CMake's ``VERBATIM``, a Markdown file's `FORCE`, `orjson.OPT_UTC_Z`)
    "switch": re.compile(r"(?<![\w-])--?[A-Za-z0-9][\w-]*|\boptions?\s+[\"'\u201c\u2018][\w.,=-]+[\"'\u201d\u2019]|"
                         r"(?<=[`.])[A-Z][A-Z0-9_]{2,}(?=`)"),
    # how a manual page says to do something: with an option, or an environment setting ("Set LC_ALL=C to ...")
    "usage": re.compile(r"(?<![\w-])--?[A-Za-z0-9][\w-]*|\b[A-Z][A-Z0-9_]+=\S"),
    # a yes/no question is answered by a rule: a sentence that allows, requires or forbids (a soft signal only: a
    # plain statement of fact may answer too)
    "rule": re.compile(r"\b(?:must|may|can|cannot|shall|should|not|never|only|required?|allowed|permitted|no)\b",
                       re.IGNORECASE),
    "list": re.compile(r"(?:[^,;]+[,;]){2,}|:\s*$|:\s|\b\w+(?:,\s*\w+)*,?\s+(?:and|or)\s+\w+|^\s*[-*\u2022]\s", re.MULTILINE),
}
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# numbers that name rather than measure: a version ("version 0.21"), a date ("2 October 2018", "September 2022")
NAMES_NOT_AMOUNT = re.compile(rf"\b(?i:version|release|v)\s*\d+(?:\.\d+)*|\b\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}}\b|"
                              rf"\b(?:{MONTHS})\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?\d{{4}}\b")
# a count that gives none: "zero or more packages", "one or more", "more than one trigger"
VAGUE = re.compile(r"\b(?:zero|one)\s+or\s+more\b|\bmore\s+than\s+one\b", re.IGNORECASE)
NOT_A_VERSION = r"(?!\s+(?:date|day|notes?|process|cycle|schedule|manager|team|control)\b)"  # "the release date", "notes"
# a main clause that opens with its auxiliary asks yes or no; not a request ("Can you name ...")
AUXILIARY = (r"(?:is|are|does|do|can|may|must|should|will|has|have|was|were|could|would|did|shall|am)\s+"
             r"(?!you\s+(?:name|give|tell|list))")
KIND_PATTERNS = (  # first match wins
    # "which version", "which Git version", "in which GNU sed release", "which CPython releases"; not "what does the
    # release ...", "which release notes"
    ("version", r"\b(?:which|what)\s+(?:(?!(?:is|are|was|were|do|does|did|the|a|an|of)\b)[\w.+-]+\s+){0,2}"
                rf"(?:version|release)s?\b{NOT_A_VERSION}|"
                r"\bversion\s+number\b|\bthe\s+version\s+of\b|"
                # "What is the default Python 3 version in Bookworm?"; not "the release date", "the release notes"
                r"\b(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:[\w.+-]+\s+){0,3}?(?:version|release)\b"
                rf"{NOT_A_VERSION}|"
                r"\bintroduced in\b|\bsince (?:which|what)\b"),
    ("date", r"\b(?:what|which)\s+(?:year|date|day|month)\b|\bwhen\s+(?:was|were|did)\b|"
             r"\b(?:what|which)\s+(?:is|was)\s+the\s+(?:\w+\s+)?date\b"),  # "What is the release date of ...?"
    ("number", r"\bhow\s+(?:many|much|long|large|big|old|often|heavily|far|deep|wide|fast|high|low|small|frequently|"
               r"soon|quickly)\b|"
               # "the default value" asks a number; "the default delimiter" does not (the noun decides)
               r"\b(?:what|which)\s+(?:is|are)\s+the\s+(?:\w+\s+)?(?:maximum|minimum|limit|size|length|"
               r"number|count|amount|value|percentage|weight|priority|timeout|width|height|depth|range|ratio|uid|gid|"
               r"pid|port(?!\s+of\b))\b|"
               r"\bnumeric(?:al)?\b|\bin\s+(?:dollars|euros|pounds|bytes|kilobytes|megabytes|seconds|minutes|hours|"
               r"days|weeks|percent|characters)\b|\bwhat\s+is\s+the\s+(?:most|least|highest|lowest|largest|smallest)\b|"
               r"\bhow\s+\w+\s+(?:characters|bytes|seconds|times|lines|bits|levels|days)\b|"
               # a program's exit status is a number; a C function's "return value" may be a constant's name
               r"\bexit\s+(?:code|status|value)(?:es|s)?\b|\breturn\s+codes?\b|"
               r"\b(?:what|which)\s+(?:(?!(?:is|are|was|were|do|does|did)\b)\w+\s+)?(?:timeout|delay|depth|width|height)s?\b|"
               r"\b(?:what|which)\s+(?:\w+\s+)?(?:number|size|value|limit|level|length|duration|period|range|"
               r"percentage|proportion|share|stake|uid|gid|pid|port(?!\s+of\b))\b"),
    ("name", r"^\s*who\b|\b(?:which|what)\s+(?:organi[sz]ation|company|person|people|author|foundation|body|entity|"
             r"group|institution|project|steward)\b|\bwho\s+(?:is|are|was|were|wrote|publishes|maintains)\b"),
    ("option", r"\b(?:which|what)\s+(?:\w+\s+)?(?:option|flag|switch|argument|parameter|command|function|call|"
               r"routine|variable|macro|field|attribute|element|key|keyword|setting|directory|header|constant|"
               r"type|signal|tag|suffix|extension|program|utility|tool)s?\b"),
    ("list", r"\b(?:what|which)\s+(?:are|were)\s+the\b|\blist\b|\b(?:what|which)\s+(?:kinds|types|sorts|forms|"
             r"ways|things|conditions|items|parts|steps|actions|rights|obligations)\b|\bname\s+the\b|\benumerate\b|"
             r"\b(?:can|could|would)\s+you\s+(?:name|give|cite)\b|"  # a request, not a yes/no question
             # "Which other licences does ...": a plural asked for, at the question's start
             r"(?:^|,\s+)(?:which|whose)\s+(?:[\w-]+\s+){0,3}?[a-z]+[^s\W]s\s+(?:do|does|did|are|were|can|may|must|"
             r"should|will|would|could|have|has)\b"),
    ("procedure", r"\bhow\s+(?:do|can|should|would|could|might|must)\s+(?:i|you|one|we|a\s+\w+|an\s+\w+|the\s+\w+)\b|"
                  r"\bhow\s+to\b|\bwhat\s+(?:steps|must|should)\b|\bwhat\s+(?:do|does)\s+\w+\s+(?:need|have)\s+to\b"),
    ("definition", r"\bwhat\s+(?:is|are)\s+(?:a|an|the)?\s*\w+(?:\s+\w+)?\s*\??$|"
                   r"\bwhat\s+does\s+.+\s+(?:mean|signify|denote|stand\s+for|represent|indicate|hold)\b|"
                   r"\bwhat\s+is\s+the\s+(?:role|purpose|meaning|function)\s+of\b|\b(?:meant|intended|used)\s+for\s*\?|"
                   r"\bwhat\s+(?:sort|kind|type)\s+of\b.*\b(?:class(?:es|ed)?|counts?|considered|regarded)\b|"
                   r"\bconsidered\s+(?:part|to\s+be)\b|"
                   r"\bmeaning of\b|\bdefin(?:e|ition)\b|\bwhat is meant\b|\brefers? to\b"),
    # the main clause opens with an auxiliary, also after a leading phrase ("Under MPL 2.0, may ...")
    ("yesno", rf"(?:^|,\s+){AUXILIARY}"),
)
KINDS = tuple(kind for kind, _ in KIND_PATTERNS)
TYPED = ("number", "version", "date", "name", "option")  # kinds whose evidence should hold a typed value
VALUE_KINDS = ("number", "version", "date")  # ... and must: no number, no answer to "how many"
ASKS_SWITCH = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+)?(?:option|flag|switch)(?:es|s)?\b", re.IGNORECASE)
IDENTIFIER = re.compile(r"\b\d+(?:\.\d+)+-\d+(?:\.\d+)*\b|"  # a package's version with its revision: "1.12-1"
                        # a hyphenated name with a part such as "x64": "win-x64", "python-is-python3" (not only "x64")
                        r"(?<![\w-])(?:\w+-)*[a-z]+\d+\w*(?:-\w+)*(?![\w-])|"
                        r"(?<![\w-])--?[A-Za-z0-9][\w-]*|\b\w*[a-z]\w*[A-Z]\w*\b|\b\w*_\w*\b|\b[A-Z][A-Z0-9]{2,}\w*\b|"
                        r"\b[a-z]+\d+\w*\b|\b\w+\.\w{1,4}\b|(?<![\w%])%[A-Za-z%](?!\w)")  # "%e": a format's placeholder
# a document's kind, which a question names it by ("the ls man page", "the retention policy", "the expenses FAQ")
KINDS_OF_DOCUMENT = r"licen[cs]e|manual|spec(?:ification)?|policy|guide|handbook|faq|readme"
NAMING = re.compile(rf"\b(?:{KINDS_OF_DOCUMENT}|man\s+page|page|document|documentation|command|utility|tool|program|"
                    r"library|standard|reference)\b", re.IGNORECASE)
MAN_PAGE = re.compile(r"([\w+-]+)\.[1-9][a-z]{0,4}(?:\.txt)?", re.IGNORECASE)  # "tail.1.txt", "sshd.8", "openssl.1ssl"
PROGRAM = re.compile(r"\s*(?:With|Using)\s+([a-z][\w.+-]*)\s*,")  # lower case: a command, not "With Git's ..."
DOCUMENT_NAME = re.compile(rf"(?<![\w-])([\w+-]*[A-Za-z][\w+-]*)\s+(?:man(?:ual)?\s+page|{KINDS_OF_DOCUMENT})\b",
                           re.IGNORECASE)
NAMED_KIND = re.compile(r"\bthe\s+(FAQ|README)\b", re.IGNORECASE)  # "according to the FAQ": one document
# words that describe a document rather than name it: "the reference manual", "the user manual", "a software licence"
DESCRIBES = frozenset({"reference", "user", "users", "user's", "user\u2019s", "programmer's", "programmers", "online",
                       "official", "full", "complete", "whole", "original", "same", "other", "new", "old", "software",
                       "library", "program", "documentation", "entire", "relevant", "corresponding"})
GENERIC_TITLE = frozenset({"txt", "pdf", "docx", "doc", "spec", "the", "and", "info", "1", "2", "3", "0", "2.0", "2.1",
                           "1.0", "1.1", "1.2", "1.3"})
RARE_ZIPF = 3.3  # words rarer than this in general English are decisive (wordfreq's Zipf scale)
PROGRAM_ZIPF = 4.0  # "With cp, ..." (3.8) names a program; "With permission, ..." (4.5) does not


@functools.cache
def _zipf():
    from wordfreq import zipf_frequency  # ~1 s to load its English table: only when a question is read

    return functools.lru_cache(maxsize=65536)(lambda word: zipf_frequency(word, "en"))


def zipf(word: str) -> float:
    return _zipf()(word.lower())


# the main clause asks for a way ("How can uniq count how many times ..."): a procedure, whatever its object asks
ASKS_A_WAY = re.compile(r"(?:[^,?]{1,80},\s+)?how\s+(?:do|can|should|could|might|must|would)\s+\w+", re.IGNORECASE)


# the question opens with its auxiliary: it asks yes or no, whatever its object names ("Is it necessary to check the
# return code of deflateEnd()?"), unless it goes on to ask for the value too ("..., and what is it?")
ASKS_YES_OR_NO = re.compile(rf"{AUXILIARY}(?!.*\band\s+(?:what|which|how|who|when|where)\b)", re.IGNORECASE)


def answer_kind(question: str) -> str:
    text = " ".join(question.split())
    if ASKS_A_WAY.match(text):
        return "procedure"
    if ASKS_YES_OR_NO.match(text):
        return "yesno"
    for kind, pattern in KIND_PATTERNS:
        if re.search(pattern, text, re.IGNORECASE):
            return kind
    return "other"


def holds_kind(text: str, kind: str, asked: str = "") -> bool:
    """Whether `text` holds a value of the kind, other than one the question `asked` states itself: "zero"
    does not answer "how many zero bytes ...", nor "MIME" "which switch does the MIME spec recommend"."""
    pattern = HOLDS.get(kind)
    if pattern is None:
        return True
    if kind == "list":  # a list is a shape, not a value
        return bool(pattern.search(text))
    return bool(values(text, kind, asked))


def values(text: str, kind: str, asked: str) -> list[re.Match]:
    """The values of the kind in `text` (a number, a version, an option...), but those the question `asked`
    states itself, and versions of another product than the one it asks about."""
    named = [m.span() for m in (*NAMES_NOT_AMOUNT.finditer(text), *VAGUE.finditer(text))] if kind == "number" else []
    product = versioned_in(asked) if kind == "version" else None
    return [m for m in HOLDS[kind].finditer(text) if m.group().strip() and not stated(m.group().strip(), asked)
            and not any(a <= m.start() and m.end() <= b for a, b in named)
            and not (product and another_product(text[:m.start()], product))
            and not (kind == "version" and BARE_V.fullmatch(m.group()) and not product_before(text[:m.start()]))]


# "Which Git version", "what is the oldest macOS release", "in which GNU sed release", "the minimum version of maturin"
# (an owner's name is not the product's: "the release of GNU's ASN.1 toolkit")
VERSION_OF = (re.compile(r"\b(?:which|what)\s+(?:(?:is|was|are|were)\s+the\s+)?(?:[\w+.-]+\s+)?([\w+.-]+)\s+"
                         r"(?:version|release)s?\b", re.IGNORECASE),
              re.compile(r"\b(?:version|release)s?\s+of\s+(?:the\s+)?([\w+.-]+)(?![\w+.-]|['\u2019]s\b)", re.IGNORECASE))
VERSION_WORDS = frozenset({"version", "release", "v", "v."})


def versioned_in(question: str) -> str | None:
    """The product a question asks the version of ("Which Git version ...", "which libtasn1 release ..."), when it
    names one: a capitalised or rare word, not "which minimum version"."""
    for match in (m for pattern in VERSION_OF for m in pattern.finditer(question)):
        word = match.group(1)
        if word[0].isupper() or zipf(word) < RARE_ZIPF:
            return word.lower()
    return None


BARE_V = re.compile(r"v\d+", re.IGNORECASE)  # "v2": a version only after the product's name ("PCRE v2", not "use of v2")


def product_before(before: str) -> str:
    """The name just before a version ("PCRE" of "PCRE v2", "CMake" of "CMake version 2.8.8"), lower-cased; "" when
    the word there is a common one ("since 1.3", "use of v2"). A capitalised word inside a sentence is a name ("builds
    with Rust 1.95"), not one that opens it ("Version 2 of ...", "Since 1.3"). In a table's row, only its own cell's
    ("macOS | x64 | >= 10.15": the row's platform, not the architecture's)."""
    before = before.rsplit(" | ", 1)[-1]
    words = [w for w in re.findall(r"[\w+.-]+", before[-40:]) if w.lower() not in VERSION_WORDS]
    while words and (re.fullmatch(r"\d[\d.]*", words[-1]) or words[-1].lower() in ("and", "or")):
        words.pop()  # a list of versions is of the name before its first: "CPython 3.10, 3.11, and 3.12"
    word = words[-1] if words else ""
    capitalised = word[:1].isupper() and re.search(rf"[\w,;:)]\s+{re.escape(word)}\W*$", before) is not None
    named = word.lower() not in STOPWORDS and ((word.isupper() and len(word) >= 2) or zipf(word) < RARE_ZIPF
                                               or capitalised)
    return word.lower() if word and named else ""


def another_product(before: str, product: str) -> bool:
    """Whether the version after `before` is another product's: "PCRE v2" does not answer "Which Git version ...",
    "GCC 10.1" not "which Python version ..."; "since 1.3", "Git 2.14" and "version 2.1" may."""
    name = product_before(before)
    return bool(name) and not (name.startswith(product) or product.startswith(name))


STATED_VERSION = re.compile(r"(?<![\w.-])v?(\d+(?:\.\d+)+(?:[A-Za-z]+\d*)?)(?![\w-]|\.\d)")  # "2.14.0", "v2.12", "1.0.0b1"


def same_release(release: str, stated: str) -> bool:
    """Whether a release is the one a question states: "2.14.0" is, and "2.12.0a1" and "2.12.3" are of "2.12"."""
    return release == stated or release.startswith(stated + ".") or re.match(rf"{re.escape(stated)}[a-z]", release) is not None


# what "how many" counts: "how many times" -> "times", "how many trailing lines" -> "lines" (a plural noun, within two words)
COUNTED = re.compile(r"\bhow\s+many\s+(?:[a-z-]+\s+)?([a-z]{3,}s)\b", re.IGNORECASE)


def counts(text: str, unit: str) -> bool:
    """Whether the text gives a number of the unit ("retry 20 times", "10 trailing lines", "the number of unique names
    is 32767"; "once" or "twice" for "times")."""
    if unit == "times" and re.search(r"\b(?:once|twice|thrice)\b", text, re.IGNORECASE):
        return True
    number, noun = rf"(?:\d+(?:[.,]\d+)*|{NUMBER_WORDS})\b", rf"{re.escape(unit[:-1])}\w*"
    return re.search(rf"\b{number}\s+(?:[\w-]+\s+)?{noun}|\b{noun}\s+(?:is|are|was|were|of|:)\s+(?:[\w-]+\s+)?{number}",
                     text, re.IGNORECASE) is not None


def stated(value: str, text: str) -> bool:
    """Whether the question's text holds this value as a whole token."""
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", text, re.IGNORECASE) is not None


ABBREVIATIONS = frozenset({"i.e", "e.g", "etc", "cf", "vs", "viz", "a.k.a", "approx"})  # look like file names
# a release stated to its patch level: "3.0.19", "1.0.0m", "5.3.4alpha", "1.26.0b2" (not "2.1", a licence's version or a
# series)
STATED_RELEASE = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?:[a-z]+\d*)?(?!\w|\.\w|-\d)")


def identifiers(question: str) -> list[str]:
    """Code-like tokens the answer must contain: options, snake_case, camelCase, CONSTANTS, file names."""
    out = []
    for match in IDENTIFIER.finditer(question):
        token = match.group().strip(".")
        if len(token) >= 2 and token.lower() not in STOPWORDS | ABBREVIATIONS and not token.isdigit():
            out.append(token)
    return list(dict.fromkeys(out))


def manual_page(title: str) -> str | None:
    """The program a manual page's file documents: "tail.1.txt" -> "tail"; None for any other document."""
    match = MAN_PAGE.fullmatch(title)
    return match.group(1).lower() if match else None


def title_words(title: str) -> set[str]:
    """The words a question would use to name a document: "GPL-3.txt" -> {"gpl", "gpl-3"}."""
    stem = re.sub(r"\.(?:txt|pdf|docx|md)$", "", title, flags=re.IGNORECASE).lower()
    stem = re.sub(r"\.\d$", "", stem)  # man pages: "tar.1" -> "tar"
    words = {w for w in re.split(r"[^a-z0-9]+", stem) if w and w not in GENERIC_TITLE and not w.isdigit()}
    return words | ({stem} if len(stem) > 2 else set())


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    terms: tuple[str, ...]  # content terms, stemmed
    identifiers: tuple[str, ...]
    rare: tuple[str, ...]  # stemmed content terms rare in general English
    focus: tuple[str, ...] = ()  # a follow-up's own terms ("and CCTV footage?"), of a query that carries the last question's

    @property
    def value_needed(self) -> str | None:
        """The kind of value evidence must hold to answer at all: a number for "how many", a version, a date, a
        command-line option for "which switch"."""
        if self.kind in VALUE_KINDS:
            return self.kind
        return "switch" if self.kind == "option" and ASKS_SWITCH.search(self.text) else None

    @functools.cached_property
    def unit(self) -> str:
        """What a "how many" question counts ("times", "bytes", "lines"), "" for none."""
        match = COUNTED.search(self.text) if self.kind == "number" else None
        return match.group(1).lower() if match and match.group(1).lower() not in STOPWORDS else ""

    @functools.cached_property
    def releases(self) -> tuple[str, ...]:
        """The versions the question states ("What changed in 2.14.0?", "the first 2.12 alpha"), lower-cased."""
        return tuple(dict.fromkeys(v.lower() for v in STATED_VERSION.findall(self.text)))

    def asks_release(self, title: str) -> bool:
        """The question asks in which release of the document's product something happened ("In which release was
        fsevents2 deprecated?", "which watchdog release ..." of watchdog-README.rst), not the version of another
        product it names ("Which Python version ..."), which a changelog's release is not."""
        product = versioned_in(self.text)
        return self.kind == "version" and (product is None or product in title_words(title))

    def required(self, titles: Sequence[str]) -> list[str]:
        """Identifiers an answer must contain: code-like tokens, not acronyms (BSD, MIME, CVEs), version numbers (2.1,
        and "2.x": any 2 release) or a document's own name (GPLv3 for GPL-3.txt, Node.js for nodejs-BUILDING.docx),
        which the text may not repeat."""
        words = set().union(*(title_words(t) for t in titles)) if titles else set()
        named = [i for i in self.identifiers
                 if not re.fullmatch(r"[A-Z]{2,6}s?|[\d.]+|\d+(?:\.(?:\d+|[xyXY]))+|[A-Z]+v?\d(?:\.\d)?", i)
                 and not any(i.lower().replace(".", "").startswith(w) for w in words if len(w) >= 3)]
        # a release stated to its patch level is one release: 3.0.5's notes do not say when 3.0.0 came out (two
        # compare releases, "between 2.21.7 and 2.22.0", whose notes need not name each other)
        releases = list(dict.fromkeys(STATED_RELEASE.findall(self.text)))
        return named + (releases if len(releases) == 1 else [])

    def proper_nouns(self) -> list[str]:
        """Capitalised words after the first ("Project Falcon", "Eclipse"): names the evidence must mention."""
        first = (WORD.findall(self.text) or [""])[0]
        return [w for w in re.findall(r"(?<![\w-])[A-Z][a-z]+[A-Za-z]*\b", self.text)
                if w != first and w.lower() not in STOPWORDS and not re.fullmatch(NUMBER_WORDS, w.lower())]

    def program(self) -> str | None:
        """The program a question opens with ("With chown, how do I ..."), which its answer must be about."""
        match = PROGRAM.match(self.text)
        word = match.group(1) if match else ""
        # a common word ("With permission, ...") opens a question without naming its subject
        return word if word and word not in STOPWORDS and zipf(word) < PROGRAM_ZIPF else None

    def document_names(self) -> list[str]:
        """The word that names a document ("the ls man page", "the tar manual", "the BSD licence"), or a kind
        of document that is a name in itself ("the FAQ", "the README")."""
        named = [m.group(1) for m in DOCUMENT_NAME.finditer(self.text)
                 if m.group(1).lower() not in STOPWORDS | DESCRIBES and not m.group(1).isdigit()]
        return named + [m.group(1) for m in NAMED_KIND.finditer(self.text)]

    @functools.cached_property
    def name_tokens(self) -> list[str]:
        """The question's words, lower-cased, each spelled-out acronym in place of its last word ("lesser lgpl")."""
        raw = WORD.findall(self.text)
        tokens = [w.lower() for w in raw]
        for i, token in acronyms(raw):
            tokens[i] = token
        return tokens

    def names(self, title: str, explicitly: bool = False) -> bool:
        """Whether the question names this document: explicitly ("in the Apache licence", "the tar
        manual"), or, unless `explicitly`, by a rare or numbered word of its title ("libtasn1", "MIME")."""
        words = title_words(title)
        tokens = self.name_tokens
        for i, token in enumerate(tokens):
            if token not in words:
                continue
            near = " ".join(tokens[max(0, i - 3):i + 4])
            if NAMING.search(near) or (not explicitly and (zipf(token) < RARE_ZIPF or any(ch.isdigit() for ch in token))):
                return True
        return False


def acronyms(raw: Sequence[str]) -> list[tuple[int, str]]:
    """Where a question spells a document's acronym out: "the Lesser GPL" is the LGPL, "the GNU Free
    Documentation License" the GFDL, "the Mozilla Public License" the MPL. (position of its last word, acronym)"""
    out = []
    for i, word in enumerate(raw):
        if re.fullmatch(r"[A-Z]{2,5}", word):  # capitalised words before an acronym: "Lesser GPL", "Affero GPL"
            j = i
            while j > 0 and re.fullmatch(r"[A-Z][a-z]+", raw[j - 1]) and raw[j - 1].lower() not in STOPWORDS:
                j -= 1
            if j < i:
                out.append((i, "".join(w[0] for w in raw[j:i]).lower() + word.lower()))
    start = 0
    while start < len(raw):  # a run of three or more capitalised words ending in a document word: its initials
        end = start
        while end < len(raw) and re.fullmatch(r"[A-Z][A-Za-z]*", raw[end]) and raw[end].lower() not in STOPWORDS:
            end += 1
        if end - start >= 3 and re.fullmatch(r"Licen[cs]e|Manual|Specification", raw[end - 1]):
            out.append((end - 1, "".join(w[0] for w in raw[start:end]).lower()))
        start = max(end, start + 1)
    return out


def read_question(text: str, follow_up: str = "") -> Question:
    """The question `text`; for a follow-up, `text` is the standalone query its history made of it and `follow_up`
    what the user typed, whose terms are its focus."""
    words = [w for w in WORD.findall(text) if w.lower() not in STOPWORDS]
    rare = [t for w in words for t in content_terms(w) if not w.isdigit() and zipf(stem(w)) < RARE_ZIPF and zipf(w) < RARE_ZIPF]
    return Question(text, answer_kind(text), tuple(dict.fromkeys(content_terms(text))),
                    tuple(identifiers(text)), tuple(dict.fromkeys(rare)), tuple(dict.fromkeys(content_terms(follow_up))))
