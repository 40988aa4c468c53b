"""The offline ChatModel: a reader that quotes the retrieved passage answering the question, verbatim,
with its source number, or says the documents do not hold the answer.

It reads the question (what kind of answer, which terms are decisive, which document it names),
scores every sentence of the sources with a small logistic model over features (meaning, words,
the answer's type, decisive terms, retrieval rank, the named document), brings the context a
sentence needs (the sentence before a dangling "It ...", the items after a "following:"), and
gives one calibrated confidence per answer: both models are fitted on the QA benchmark's dev half
(`python -m eval.qa.fit`, weights in reader.json). Below the threshold it refuses and lists the
closest passages as related, not as an answer."""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.backends.local.passage import (
    OPENING_QUOTES,
    Passage,
    asks,
    emphasis,
    furniture_line,
    junk,
    opens_list,
    passages,
    quotable,
    synopsis_line,
    terms_of,
    title_line,
)
from rag.backends.local.question import (
    HOLDS,
    STATED_RELEASE,
    TYPED,
    Question,
    counts,
    holds_kind,
    manual_page,
    read_question,
    same_release,
    title_words,
)
from rag.errors import ConfigError
from rag.prompt import NOT_FOUND
from rag.protocols import ChatRequest, Embedder
from rag.settings import Settings
from rag.text import BLANK_LINE, DEFINITION, NUMBER, SIGNATURE, STOPWORDS, WORD, content_terms, release_of, squash
from rag.types import Assessment, Hit, Turn

WEIGHTS = Path(__file__).with_name("reader.json")
NAMED_BY_TERM = ("name", "option")  # what a definition list's term answers ("which group ...", "which setting ...")
WHICH = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+)?[\w-]+\b", re.IGNORECASE)  # "which group", "what user account"
FOCUS = 2.0  # weight of a follow-up's own terms in the lexical match ("and CCTV footage?" after "... invoices?")
LIST_ITEMS = 5  # items quoted after a sentence that opens a list ("... one of these constants:")
MAX_CANDIDATES = 32  # sentences embedded per question (each also under its heading): keeps the first token fast
PREFIX = 6  # letters two words must share to count as one word in a different form
OFF_TOPIC = 0.30  # no sentence this close to the question (MiniLM cosine): the sources are not about it.
# Not fitted: the QA dev half has no question this far from every document; its answerable questions'
# closest sentences are at 0.36 and above, and "Who won the 1998 football world cup?" is at 0.22.
# a sentence that points back at the one before it, wherever the pointer stands ("... introduced for this purpose.")
REFERS_BACK = re.compile(r"\b(?:for (?:this|that) (?:purpose|reason)|for these reasons|to this end|in (?:this|that) case|"
                         r"the (?:former|latter)|(?:as|described|mentioned|listed) above)\b", re.IGNORECASE)
DANGLING = re.compile(r"^(?:it|its|this|these|that|those|they|their|such|however|but|also|therefore|thus|hence|"
                      r"otherwise|then|so|here|there(?!\s+(?:is|are|was|were|exists?)\b)|in this case|in that case|"
                      r"for example|for instance|instead|"
                      r"similarly|likewise|moreover|furthermore|in addition|as a result|if so|he|she)\b", re.IGNORECASE)
WANTED = {"switch": "command-line option", "usage": "command-line option or setting"}  # the inspector's words
DEFINES = re.compile(r"\b(?:is|are|means|mean|refers? to|denotes?|stands? for|called|defined as|consists? of)\b")
FEATURES = ("semantic", "semantic_gap", "neighbours", "in_context", "repeated", "junk", "lexical", "lexical_window", "rare", "identifiers",
            "typed_miss", "typed_hit", "list_shape", "named", "other_named", "rank", "fused", "dangling", "short",
            "defines")
ANSWER_FEATURES = ("best", "margin", "semantic", "lexical", "identifiers", "rare", "typed_miss", "named", "rank", "support")


@functools.cache
def weights() -> dict:
    model = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    if tuple(model["features"]) != FEATURES or tuple(model["answer_features"]) != ANSWER_FEATURES:
        raise ConfigError(f"{WEIGHTS} was fitted for other reader features; refit it: python -m eval.qa.fit")
    return model


def starting_model() -> dict:
    """Weights to read with before any fit: meaning and words, the rest neutral."""
    sentence = [{"semantic": 6.0, "lexical": 2.5}.get(f, 0.0) for f in FEATURES]
    answer = [{"best": 6.0}.get(f, 0.0) for f in ANSWER_FEATURES]
    return {"features": list(FEATURES), "answer_features": list(ANSWER_FEATURES), "threshold": 0.5,
            "sentence": {"bias": -6.0, "weights": sentence}, "answer": {"bias": -4.0, "weights": answer}}


def logistic(model: dict, values: Sequence[float]) -> float:
    z = model["bias"] + sum(w * x for w, x in zip(model["weights"], values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class Candidate:
    source: int  # 1-based source number
    position: int  # sentence number within its chunk
    start: int  # span in the chunk's clean text (hyphenation joined)
    end: int
    text: str
    hit: Hit
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0


@dataclass
class Reading:
    question: Question
    candidates: list[Candidate]  # best first
    passages: dict[int, Passage]
    confidence: float = 0.0
    answer: list[Candidate] = field(default_factory=list)  # the sentences quoted, in text order
    gate: str = ""  # why no passage can answer (then the reader refuses whatever the scores say)
    lead: str = ""  # the release the quote's changelog entry is under, when the passage does not hold its heading

    @functools.cached_property
    def explicit(self) -> set[int]:
        """Sources from a document the question names explicitly ("the ls man page", "the BSD licence")."""
        return {n for n, p in self.passages.items() if self.question.names(p.hit.chunk.title, explicitly=True)}

    @functools.cached_property
    def named(self) -> set[int]:
        """Sources from a document the question names ("Under the GPL, ..."): the only ones that may answer it.
        A document named explicitly ("the ls man page") outranks one a rare word names ("MIME type")."""
        return self.explicit or {n for n, p in self.passages.items() if self.question.names(p.hit.chunk.title)}

    @functools.cached_property
    def named_entries(self) -> dict[tuple[int, int], str]:
        """(source, position) of each definition list's term the question names, all its words in a row ("What is the
        staff group for?" names "staff", "what do failed-read warnings say?" "failed-read"), and the term's words:
        that entry answers."""
        asked = words_of(self.question.text)
        found = {}
        for n, p in self.passages.items():
            for position, span in enumerate(p.spans):
                term = words_of(p.text[span[0]:span[1]])
                if (span in p.terms and term and not set(term.split()) <= STOPWORDS and says(asked, term)
                        and not says(asked, f"which {term}") and not says(asked, f"what {term}")):
                    found[(n, position)] = term  # not the kind of thing asked for: "Which section holds ...?" asks
                    # for a section, and is not about a glossary's "section" entry
        return found

    @functools.cached_property
    def entry_named(self) -> bool:
        """The question names an entry some candidate sentence is in."""
        return bool(self.named_entries) and any(self.in_named_entry(c) for c in self.candidates)

    def in_named_entry(self, c: Candidate) -> bool:
        """The candidate is in an entry the question names, or outside the list and names one of those terms itself
        ("Staff must report a suspected data breach ..." answers "How quickly must staff report a data breach?" as
        well as the entry may; another entry's "This includes old-versions." does not answer for "old-versions"). A
        question that asks who or which names one term and asks for another: "Who decides why personal data is
        processed?" is answered by the "Data controller" entry, which says "personal data"."""
        term = self.passages[c.source].entry_term(c.position)
        if term is not None and (c.source, term) in self.named_entries:
            return True
        if term is not None and self.question.kind != "name":
            return False  # another entry of the list
        words = words_of(c.text)  # an option is what its own entry says: "What does --rejoin do?" is not answered
        # by "These options may also be given to 'split --rejoin'"
        return any(says(words, term) for (n, position), term in self.named_entries.items()
                   if not self.passages[n].sentence(position).startswith("-"))

    @functools.cached_property
    def text(self) -> str:
        """Every passage's text with its section's heading path, lower-cased: where the question's names are looked
        for."""
        return " ".join(f"{p.hit.chunk.section} {p.text}" for p in self.passages.values()).lower()

    @functools.cached_property
    def required(self) -> list[str]:
        """The question's identifiers an answer must contain (see Question.required)."""
        return self.question.required([p.hit.chunk.title for p in self.passages.values()])

    @functools.cached_property
    def wanted(self) -> str | None:
        """The kind of value the evidence should hold: the question's typed kind (a number for "how many"), a rule
        for a yes/no question, or an option or environment setting for "how do I ..." about a program whose manual
        page is read, which answers with option lines ("Set LC_ALL=C to get the traditional sort order")."""
        if self.question.kind in TYPED:
            return self.question.kind
        if self.question.kind == "yesno":
            return "rule"
        if self.question.kind != "procedure":
            return None
        programs = {manual_page(p.hit.chunk.title) for p in self.passages.values()} - {None}
        return "usage" if programs & set(self.question.name_tokens) else None

    def holds_value(self, c: Candidate) -> bool:
        """Whether the candidate holds a value of the kind the question needs (a number for "how many"...), other
        than one the question states itself; False when it needs none."""
        needed = self.question.value_needed
        return needed is not None and self.holds(c, needed, self.question.text)

    def holds(self, c: Candidate, kind: str, asked: str = "") -> bool:
        """Whether the candidate's evidence holds a value of the kind. A definition list's entry is named by its term:
        "dialout" over "Full and direct access to serial ports." answers "which group ..." as a name would."""
        if (kind in NAMED_BY_TERM and WHICH.search(self.question.text)
                and self.passages[c.source].entry_term(c.position) is not None):
            return True  # "which group ...", not "who ...": a person is not named by a term
        if kind == "version" and self.release(c):
            return True  # a changelog's entry gives the release it is under: "2.2.0" over "- fsevents2 is now deprecated"
        if kind == "number" and self.counted and not counts(self.evidence(c), self.question.unit):
            return False  # "how many times": "retry 20 times", where some sentence counts them, not "wait 10 seconds"
        return holds_kind(self.evidence(c), kind, asked)

    @functools.cached_property
    def counted(self) -> bool:
        """Some candidate gives a number of what the question counts ("how many times ...": "retry 20 times")."""
        unit = self.question.unit
        return bool(unit) and any(counts(self.evidence(c), unit) for c in self.candidates)

    def release(self, c: Candidate) -> str:
        """The release heading the candidate's changelog entry is under, where the question asks in which release
        (see Question.asks_release): "2.2.0" over "- The fsevents2 observer is now deprecated"; "" otherwise."""
        p = self.passages[c.source]
        heading = p.release(c.start)[0]
        return heading if heading and self.question.asks_release(p.hit.chunk.title) else ""

    @functools.cached_property
    def release_named(self) -> bool:
        """The question states a release some candidate's changelog entry is under ("What changed in 2.14.0?",
        "the first 2.12 alpha"): only that release's entries answer."""
        return bool(self.question.releases) and any(self.in_named_release(c) for c in self.candidates)

    def in_named_release(self, c: Candidate) -> bool:
        version = release_of(self.passages[c.source].release(c.start)[0])
        return bool(version) and any(same_release(version, stated) for stated in self.question.releases)

    def evidence(self, c: Candidate) -> str:
        """The candidate's text, after the option line or term it describes (a description alone names no option), or
        the column names of the table its row is in ("Operating System | Compiler Versions" over "Linux | GCC >= 10.1")."""
        p = self.passages[c.source]
        header = p.header(c.position) if p.in_table(c.position) else None
        term = p.sentence(header) if header is not None else p.term(c.position)
        name = p.identifier(c.position - 1) if header is None else ""
        term = f"`{name}`" if name else term  # a heading that names an identifier is code
        return f"{term} {c.text}" if term else c.text

    def covers(self, c: Candidate) -> bool:
        """Whether the candidate's window, or the section it is in, holds every required identifier ("the WorkingSet
        entries attribute" is the "entries" entry under "WorkingSet Methods and Attributes")."""
        p = self.passages[c.source]
        window = f"{p.hit.chunk.section} {p.window(c)}".lower()
        return all(mentions(window, i) for i in self.required)

    def features(self) -> list[float]:
        """The answer-level evidence the confidence is fitted on."""
        if not self.candidates:
            return [0.0] * len(ANSWER_FEATURES)
        best = self.candidates[0]
        second = self.candidates[1].probability if len(self.candidates) > 1 else 0.0
        f = best.features
        support = sum(c.probability for c in self.candidates[:5] if c.hit.chunk.doc_id == best.hit.chunk.doc_id)
        return [best.probability, best.probability - second, f["semantic"], f["lexical_window"], f["identifiers"], f["rare"],
                f["typed_miss"], f["named"], f["rank"], min(support, 3.0) / 3.0]


def dates(heading: str, question: Question) -> bool:
    """The heading gives the date a "when" question asks, of the release it names: every number the question states
    is the heading's too ("E2fsprogs 1.47.0 (February 5, 2023)" for "When did e2fsprogs 1.47.0 come out?")."""
    stated = set(NUMBER.findall(heading))
    return (question.value_needed == "date" and holds_kind(heading, "date", question.text)
            and all(n in stated for n in NUMBER.findall(question.text)))


def as_quoted(p: Passage, i: int) -> Candidate:
    """Sentence `i` of the passage as it is quoted: its prose, without a Texinfo signature at its head (see `prose`)."""
    start, end = prose(p, i)
    return Candidate(p.source, i, start, end, p.text[start:end], p.hit)


def as_read(answer: Sequence[Candidate]) -> str:
    """The quoted sentences as the chat shows them, for the emphasis: one paragraph each, since a citation stands
    between them, so no emphasised phrase runs from one into the next ("... occurrences -d, --repeated")."""
    return "\n\n".join(squash(c.text) for c in answer)


def words_of(text: str) -> str:
    """The text's words, lower-cased, one space apart: where a term's words are looked for in a row."""
    return " ".join(w.lower() for w in WORD.findall(text))


def says(words: str, term: str) -> bool:
    """`words` (see `words_of`) hold the term's words in a row, whole."""
    return re.search(rf"(?<!\S){re.escape(term)}(?!\S)", words) is not None


def covered(needed: Sequence[str], present: set[str]) -> float:
    return sum(t in present for t in needed) / len(needed) if needed else 1.0


def mentions(lowered: str, identifier: str) -> bool:
    """Whether lower-cased text names the identifier, also as a PDF prints it without its underscores
    ("asn1 der decoding" for asn1_der_decoding: a Texinfo manual's definition lines and running text)."""
    name = identifier.lower()
    if STATED_RELEASE.fullmatch(name):  # "3.0.1" is not named by "3.0.10", nor "1.1.1" by "1.1.1a"
        return re.search(rf"(?<![\d.]){re.escape(name)}(?!\w|\.\d)", lowered) is not None
    return name in lowered or ("_" in name and name.replace("_", " ") in lowered)


def identifier_cover(identifiers: Sequence[str], text: str) -> float:
    lowered = text.lower()
    return sum(i.lower() in lowered for i in identifiers) / len(identifiers) if identifiers else 1.0


def prose(p: Passage, i: int) -> tuple[int, int]:
    """Sentence `i`'s span without a Texinfo signature at its head: "[Function]void asn1_print_structure (FILE *
    out, ...)" is code, but the parameters' descriptions glued after it ("mode: specify how much ...") may answer;
    a Markdown heading's without its marks ("OPT_UTC_Z" of "### OPT_UTC_Z"); a text's opening without the triple
    quotes it ends on (Node.js's LICENSE: "... is licensed as follows:" over the licence it quotes)."""
    start, end = p.spans[i]
    quotes = OPENING_QUOTES.search(p.text, start, end)
    end = quotes.start() if quotes and p.text[start:quotes.start()].strip() else end  # quoted: what opens the text
    if p.spans[i] in p.headings and p.text.startswith("#", start):
        return start + len(p.text[start:end]) - len(p.text[start:end].lstrip("# \t")), end
    signature = SIGNATURE.match(p.text, start)
    if signature is None or signature.end() > end:
        return start, end
    rest = p.text[signature.end():end]
    return min(end, signature.end() + len(rest) - len(rest.lstrip())), end


class ExtractiveChatModel:
    name = "extractive"
    can_rewrite = False

    def __init__(self, settings: Settings, embedder: Embedder, model: dict | None = None):
        self.embedder = embedder
        self.model = model if model is not None else weights()  # the fitted weights (reader.json)
        self.threshold = settings.answer_threshold if settings.answer_threshold is not None else self.model["threshold"]
        self.max_sentences = settings.answer_sentences
        self.runner_up = settings.answer_runner_up

    # --- reading
    def candidates(self, question: Question, read: dict[int, Passage]) -> list[Candidate]:
        found, seen = [], {}  # a sentence's text -> the headings it was found under

        def names(heading: str) -> bool:
            return any(mentions(heading.lower(), i) for i in question.identifiers)

        for n, p in read.items():
            headings = set(p.headings)
            for position, (start, end) in enumerate(p.spans):
                text = p.text[start:end]
                key = squash(text).lower()
                if p.fragment(position):
                    continue  # the tail of a sentence the chunk cut: not quotable on its own
                if title_line(text, p.hit.chunk.title) or furniture_line(text) or synopsis_line(text, p.hit.chunk.title):
                    continue  # a man page's name line (its title, as a heading is), running header or footer, synopsis
                if DEFINITION.match(text):
                    continue  # a Texinfo definition's signature ("[Function]void asn1_octet_der (...)"): code, no answer
                if asks(text):
                    continue  # a question the document asks (an FAQ's "Who approves my claim?") answers nothing
                if p.rule(position):
                    continue  # a rule, a Markdown file's HTML comment or link definition: nothing its reader sees
                if p.code(position):
                    continue  # a fenced code block's line answers only under the sentence that introduces it
                # a table's row is a record, however short ("bold            weight          200"); a heading is no
                # answer, but where it dates what follows it, it answers "when" for the release the question names
                # ("When did e2fsprogs 1.47.0 come out?": "E2fsprogs 1.47.0 (February 5, 2023)", not "... 1.46.1 ...")
                heading = (start, end) in headings
                if heading and not dates(text, question):
                    continue
                # a sentence found twice is read once, but again where its document repeats it under a heading that
                # names what the question asks and the first's does not (an API reference's "* `delay` {number} The
                # number of milliseconds ..." under setInterval, then setTimeout, for "... delay for setTimeout?")
                under = p.heading_before(start)
                again = key in seen and not (names(under) and not any(names(h) for h in seen[key]))
                if (heading or quotable(text) or p.in_table(position)) and not again:
                    seen.setdefault(key, []).append(under)
                    found.append(Candidate(n, position, start, end, text, p.hit))
        return found

    def featurize(self, reading: Reading) -> None:
        question, read, found = reading.question, reading.passages, reading.candidates
        asked = list(question.terms)
        docs = [terms_of(c.text) for c in found]
        idf = {t: math.log(1 + (len(docs) + 1) / (1 + sum(t in d for d in docs))) * (FOCUS if t in question.focus else 1)
               for t in asked}  # a follow-up's own words weigh more than those carried from the last question
        total = sum(idf.values()) or 1.0

        def lexical(present: set[str]) -> float:
            return sum(idf[t] for t in asked if t in present) / total

        for c in found:  # a description's words with its term's ("staff" over "Allows users to add ...")
            c.features["lexical"] = lexical(terms_of(reading.evidence(c)))
        shortlist = sorted(found, key=lambda c: (-c.features["lexical"], c.source, c.position))[:MAX_CANDIDATES]
        # each sentence alone, and under its term or heading (an option's line, a function's name, a section title):
        # what it is about
        contexts = [squash(f"{read[c.source].term(c.position) or read[c.source].heading_before(c.start)}: {c.text}")
                    for c in shortlist]
        vectors = self.embedder.embed([question.text] + [squash(reading.evidence(c)) for c in shortlist] + contexts)
        scores = vectors[1:] @ vectors[0]
        similarity = {id(c): float(s) for c, s in zip(shortlist, scores[:len(shortlist)], strict=True)}
        in_context = {id(c): float(s) for c, s in zip(shortlist, scores[len(shortlist):], strict=True)}
        best_semantic = max(similarity.values(), default=0.0)
        named = reading.named
        repeats = Counter(squash(p.text[a:b]).lower() for p in read.values() for a, b in p.spans)
        top_score = max((p.hit.score for p in read.values()), default=1.0) or 1.0
        by_place = {(c.source, c.position): c for c in found}
        wanted = reading.wanted
        for c in found:
            p = read[c.source]
            window = p.window(c)
            present = terms_of(window)
            neighbours = [similarity.get(id(by_place.get((c.source, c.position + d))), 0.0) for d in (-1, 1)]
            semantic = similarity.get(id(c), 0.0)
            holds = bool(wanted) and reading.holds(c, wanted)
            c.features.update({
                "semantic": semantic, "semantic_gap": semantic - best_semantic, "neighbours": max(neighbours),
                "in_context": in_context.get(id(c), 0.0), "repeated": float(repeats[squash(c.text).lower()] > 1),
                "junk": junk(c.text),
                "lexical_window": lexical(present), "rare": covered(question.rare, present),
                "identifiers": identifier_cover(question.identifiers, window),
                "typed_miss": float(bool(wanted) and wanted != "rule" and not holds),
                "typed_hit": float(holds),
                "list_shape": float(question.kind == "list" and bool(HOLDS["list"].search(c.text))),
                "named": float(c.source in named), "other_named": float(bool(named) and c.source not in named),
                "rank": 1.0 / c.source, "fused": c.hit.score / top_score,
                "dangling": float(bool(DANGLING.match(c.text))),
                "short": float(len(c.text.split()) < 8 and not p.in_table(c.position)),  # a table's row is a record
                "defines": float(question.kind == "definition" and bool(DEFINES.search(c.text))),
            })

    def read(self, request: ChatRequest) -> Reading:
        # no memory of its own: a follow-up ("and the weight?") is read as its standalone query
        follow_up = any(t.role == "user" for t in request.history) and request.query
        question = read_question(request.query, request.question) if follow_up else read_question(request.question)
        read = passages(request.hits)
        found = self.candidates(question, read)
        reading = Reading(question, found, read)
        if found:
            self.featurize(reading)
        return self.score(reading)

    def score(self, reading: Reading) -> Reading:
        """Rank the candidates, choose the passage, and rate the answer, with this reader's model."""
        for c in reading.candidates:
            c.probability = logistic(self.model["sentence"], [c.features[f] for f in FEATURES])
        reading.candidates.sort(key=lambda c: -c.probability)
        evidence = [c for c in reading.candidates if self.can_answer(reading, c)]
        reading.gate = "" if evidence else self.missing(reading)
        unnamed = self.unmentioned(reading)
        reading.gate = reading.gate or (f"no passage mentions {', '.join(unnamed)}" if unnamed else "")
        if not reading.gate and reading.candidates and self.closest(reading) < OFF_TOPIC:
            reading.gate = "no passage is about the question"
        if evidence and evidence[0] is not reading.candidates[0]:  # the best that can answer leads
            reading.candidates.remove(evidence[0])
            reading.candidates.insert(0, evidence[0])
        reading.answer = self.passage(reading) if reading.candidates else []
        reading.answer += self.second(reading)
        confidence = logistic(self.model["answer"], reading.features()) if reading.candidates else 0.0
        reading.confidence = 0.0 if reading.gate else confidence
        return reading

    @staticmethod
    def closest(reading: Reading) -> float:
        """How close the sources' closest sentence is to the question in meaning."""
        return max(c.features.get("semantic", 0.0) for c in reading.candidates)

    @staticmethod
    def can_answer(reading: Reading, c: Candidate) -> bool:
        """Evidence of the asked-for kind (number, version, date, option) that covers the question's identifiers."""
        if reading.named and c.source not in reading.named:
            return False  # another document's sentence, however close, does not answer for the named one
        if reading.entry_named and not reading.in_named_entry(c):
            return False  # another entry of the list whose entry the question names ("staff") answers for another
        if reading.release_named and not reading.in_named_release(c):
            return False  # another release's entry: "What changed in 2.14.0?" is not answered from 2.13.4's
        return reading.covers(c) and (reading.question.value_needed is None or reading.holds_value(c))

    @staticmethod
    def unmentioned(reading: Reading) -> list[str]:
        """Names in the question ("Project Falcon", the "ls" of "the ls man page") that no passage, nor
        any passage's document title, mentions: the documents retrieved are not the ones asked about."""
        text = reading.text
        titles = set().union(*(title_words(p.hit.chunk.title) for p in reading.passages.values()))
        words = set(re.findall(r"[\w+-]+", text))
        known = words | titles

        def mentioned(name: str) -> bool:  # "GFDL-licensed": a part will do
            parts = [name.lower()] + [p for p in name.lower().split("-") if len(p) >= 3]
            return any(p in known for p in parts)

        named = [w for w in reading.question.document_names() if not mentioned(w)]
        program = reading.question.program()
        named += [program] if program and not mentioned(program) else []
        return list(dict.fromkeys(
            [w for w in reading.question.proper_nouns() if w.lower() not in text and w.lower() not in titles] + named
            + ExtractiveChatModel.not_in_named(reading)))

    @staticmethod
    def not_in_named(reading: Reading) -> list[str]:
        """The question's rare terms that the document it names explicitly never uses in the passages
        retrieved ("the ls man page ... MIME type"): that document does not say."""
        explicit = [reading.passages[n] for n in sorted(reading.explicit)]
        if not explicit:
            return []
        titles = set().union(*(title_words(p.hit.chunk.title) for p in explicit))
        present = terms_of(" ".join(p.text for p in explicit)) | {t for w in titles for t in content_terms(w)}
        stems = {t[:PREFIX] for t in present}  # "redistribute" is used as "redistribution"
        return [t for t in reading.question.rare if t not in present and t[:PREFIX] not in stems]

    @staticmethod
    def missing(reading: Reading) -> str:
        """Why no candidate can answer, in words for the inspector."""
        if not reading.candidates:
            return "no passage to read"
        if reading.named and not any(c.source in reading.named for c in reading.candidates):
            return "no sentence of the document the question names"
        named = all(mentions(reading.text, i) for i in reading.required)  # a signature names its function too
        covered = any(reading.covers(c) for c in reading.candidates)
        if (named or covered) and reading.question.value_needed:
            return f"no passage gives a {WANTED.get(reading.question.value_needed, reading.question.value_needed)}"
        if covered:
            return "no passage of the document, entry or release the question names"
        if named:  # each is mentioned, but no sentence's window holds them all
            return "no passage mentions " + " and ".join(reading.required) + " together"
        return "no passage mentions " + ", ".join(reading.required)

    def passage(self, reading: Reading) -> list[Candidate]:
        """The best sentence in its context (see in_context), under the release heading it answers "in which release"
        with (a list's item as well as a sentence: "Fixed timing side-channel in ECDSA signature computation.")."""
        best = reading.candidates[0]
        p = reading.passages[best.source]
        return self.released(reading, p, best, self.in_context(reading, p, best))

    def in_context(self, reading: Reading, p: Passage, best: Candidate) -> list[Candidate]:
        """The best sentence in its context: the sentences before and after it in the same section
        (the answering one is often next to the one that matches the question's words, and a
        dangling "It ..." needs the one before), or the items after a sentence that opens a list."""
        if p.in_table(best.position):  # a table's row under its column names; the rows next to it are other records
            header = p.header(best.position)
            return [as_quoted(p, j) for j in (header, best.position) if j is not None]
        if p.spans[best.position] in p.headings:  # a heading that dates a release: what comes before is another's
            return [best]
        opener = p.list_opener(best.position)
        if opener is not None:  # a list's item under the sentence that opens the list: "staff must not:"
            return [as_quoted(p, opener), as_quoted(p, best.position)]
        headings = set(p.headings)
        last = len(p.spans) - 1
        items = self.items_after(reading, p) if opens_list(best.text) and best.position == last else []
        if items:  # a list's opening ends the chunk: its items open the next one, retrieved too
            return [as_quoted(p, best.position), *items]
        if opens_list(best.text):  # "... one of these constants:" -> the items
            after = [j for j in range(best.position + 1, min(best.position + 1 + LIST_ITEMS, last + 1)) if not p.rule(j)]
            if p.bullet(best.position + 1):  # bulleted items: the list ends at the first sentence without a bullet
                after = itertools.takewhile(p.bullet, after)
            elif p.code(best.position + 1):  # a code block's lead ("... like this::"): the block, not what follows it
                after = itertools.takewhile(p.code, after)
            positions = [best.position, *after]
        else:
            positions = [best.position - 1, best.position, best.position + 1][: max(1, self.max_sentences)]
            if p.after_list(best.position) or p.bullet(best.position):
                positions.remove(best.position - 1)  # the last item of a list before it: another subject
        item = p.item_start(best.position) is not None  # a list's item: the items either side are other records

        introduces = opens_list(best.text)

        def neighbour(i: int) -> bool:  # a sentence of this passage that may join the best one (not only a signature,
            # nor the number of the next clause: "2." of "2. You may modify ...", split off as a sentence of its own,
            # nor a title's underline, nor a code block's line but under the sentence that introduces the block)
            return (0 <= i <= last and p.spans[i] not in headings and not p.fragment(i) and prose(p, i)[0] < p.spans[i][1]
                    and not p.label(i) and not p.rule(i) and (introduces or not p.code(i)))

        answered = reading.holds_value(best)

        def moves_on(i: int) -> bool:  # sentence i, after the best one, starts what the quote does not read into:
            return ((answered and p.paragraph_starts(i))  # the next paragraph, when the value asked for is quoted
                    or p.opens_entry(i)  # the next option's line ("-l N, --line-length=N"): another entry
                    or asks(p.sentence(i))  # the next question of an FAQ: another answer
                    or (item and p.bullet(i)))  # the list's next item

        def titles(i: int) -> bool:  # what follows the list's opening, on the lines right under it, is titles up to
            # sentence i: the title of the text it quotes ("... is licensed as follows:" over '"""' and "Apache
            # License"), not the next section's heading after a blank line
            return introduces and all((p.spans[j] in headings or p.rule(j)) and not BLANK_LINE.search(p.gap(j))
                                      for j in range(best.position + 1, i + 1))

        keep = []
        for i in positions:
            if i > best.position and moves_on(i):
                break
            if i == best.position or neighbour(i) or titles(i):
                keep.append(i)
            elif i > best.position:
                break
        keep = [i for i in keep if i >= best.position or all(p.spans[j] not in headings for j in range(i, best.position))]
        while (len(keep) < self.max_sentences and keep[-1] >= best.position and neighbour(keep[-1] + 1)
               and not moves_on(keep[-1] + 1)):
            keep.append(keep[-1] + 1)  # no sentence before it in its section: the window reads on instead,
        while (len(keep) < self.max_sentences and keep[-1] == best.position and neighbour(keep[0] - 1) and not answered
               and not asks(p.sentence(keep[0])) and not p.after_list(keep[0]) and not p.paragraph_starts(keep[0])
               and not p.bullet(keep[0])):
            keep.insert(0, keep[0] - 1)  # ... and none after it: back (a value already quoted needs no more), not past
            # the question an FAQ answers, nor past the start of the item it is in
        def bring_before() -> None:  # the sentence before the quote joins it, at the cost of one after the best
            keep.insert(0, keep[0] - 1)
            if len(keep) > max(1, self.max_sentences) and keep[-1] > best.position:
                keep.pop()

        def unnamed_identifier(i: int) -> bool:  # sentence i is under a heading that is an identifier it does not name
            name = p.identifier(i - 1)
            return bool(name) and name not in p.sentence(i)

        first = p.sentence(keep[0])
        if neighbour(keep[0] - 1) and not p.bullet(keep[0]) and (DANGLING.match(first) or REFERS_BACK.search(first)):
            bring_before()  # "It ..." or "... for this purpose." needs what "it" and "this" are (not an item's)
        if (p.term(keep[0]) and p.spans[keep[0]] not in p.terms
                and (neighbour(keep[0] - 1) or unnamed_identifier(keep[0]))):
            bring_before()  # a description under its term, option line or identifier's heading names what it
            # describes ("dialout" over "Full and direct access to serial ports."), though the best sentence is its second
        while keep[0] > 0 and p.spans[keep[0]] in p.terms and p.spans[keep[0] - 1] in p.terms:
            keep.insert(0, keep[0] - 1)  # the entry's other names, a line each: "-b <branch>::" over "--branch=<branch>::"
        opener = max((i for i in range(keep[0] + 1, best.position + 1)
                      if p.opens_entry(i) and p.spans[i - 1] not in p.terms), default=keep[0])
        keep = [i for i in keep if i >= opener]  # not the entry before the best sentence's (another option)
        if keep[-1] > best.position and opens_list(p.sentence(keep[-1])):
            keep.pop()  # "The following must never be destroyed ...:" without its items says nothing
        return [as_quoted(p, i) for i in keep]

    @staticmethod
    def released(reading: Reading, p: Passage, best: Candidate, quote: list[Candidate]) -> list[Candidate]:
        """The quote under the release heading it answers "in which release" with: the heading quoted first where the
        passage holds it, else the reading's lead (the chunk's heading path holds it), unless the quote names it."""
        heading = reading.release(best)
        version = release_of(heading)
        if not version or any(version in c.text.lower() for c in quote):
            return quote
        position = p.release(best.start)[1]
        if position is None:
            reading.lead = heading
            return quote
        return [as_quoted(p, position), *quote]

    def list_items(self, reading: Reading, p: Passage, i: int) -> list[Candidate]:
        """The items of the list sentence `i` of `p` opens: the sentences after it up to the next heading, or those
        that open the next chunk of its page when `i` ends its passage."""
        headings = set(p.headings)
        after = itertools.takewhile(lambda j: p.spans[j] not in headings, range(i + 1, len(p.spans)))
        if p.code(i + 1):  # a code block's lead: the block, not the paragraphs after it
            after = itertools.takewhile(p.code, after)
        items = [as_quoted(p, j) for j in after if not p.label(j)][:LIST_ITEMS]
        return items or self.items_after(reading, p)

    @staticmethod
    def items_after(reading: Reading, p: Passage) -> list[Candidate]:
        """The first sentences of the retrieved passage that carries on where `p` stops (the next chunk of its page),
        for a list whose opening sentence ends `p` ("**Node.js does NOT trust**:"); none if it was not retrieved."""
        chunk = p.hit.chunk
        q = next((q for q in reading.passages.values() if q.hit.chunk.doc_id == chunk.doc_id
                  and q.hit.chunk.page == chunk.page and chunk.start < q.hit.chunk.start <= chunk.end + 2), None)
        if q is None:
            return []
        quoted, headings = {squash(p.sentence(i)) for i in range(len(p.spans))}, set(q.headings)
        fresh = [i for i in range(len(q.spans)) if squash(q.sentence(i)) not in quoted]  # past the chunks' overlap
        items = itertools.takewhile(lambda i: q.spans[i] not in headings, fresh)  # up to the next heading
        return [as_quoted(q, i) for i in itertools.islice(items, LIST_ITEMS)]

    def second(self, reading: Reading) -> list[Candidate]:
        """The next-best sentence that can answer, when the reader is nearly as sure of it as of the best."""
        if not self.runner_up or not reading.answer:
            return []
        quoted = {(c.source, c.position) for c in reading.answer}
        said = {squash(c.text).lower() for c in reading.answer}  # a sentence repeated under another heading: once
        best = reading.candidates[0].probability
        for c in reading.candidates[1:]:
            if (c.source, c.position) not in quoted and squash(c.text).lower() not in said and self.can_answer(reading, c):
                if c.probability < self.runner_up * best:
                    return []
                p = reading.passages[c.source]
                if opens_list(c.text):  # a list's opening comes with its items; without them it says nothing (an
                    # item the answer quotes already is not said twice: "... as bytes::" over its example, then the
                    # best sentence; the items stop there)
                    items = list(itertools.takewhile(
                        lambda i: (i.source, i.position) not in quoted and squash(i.text).lower() not in said,
                        self.list_items(reading, p, c.position)))
                    return [c, *items] if items else []
                # a description under its option line comes with that line, an item's second sentence with its first
                # ("• Portability." over "The library itself should be portable ...")
                item = p.item_start(c.position)
                head = c.position - 1 if p.term(c.position) else item if item is not None and item < c.position else None
                if head is None or (c.source, head) in quoted:
                    return [c]
                return [as_quoted(p, head), c]
        return []

    # --- the ChatModel seam
    def stream(self, request: ChatRequest) -> Iterator[str | Assessment]:
        reading = self.read(request) if request.hits else None
        if reading is None or not reading.answer or reading.confidence < self.threshold:
            related = tuple(dict.fromkeys(c.source for c in (reading.candidates if reading else [])[:6]))[:3]
            yield NOT_FOUND
            yield Assessment(reading.confidence if reading else 0.0, related=related, reason=self.why_not(reading))
            return
        if reading.lead:  # the release a changelog's entry is under, from the chunk's heading path
            yield f"{reading.lead} [{reading.answer[0].source}] "
        for i, c in enumerate(reading.answer):  # each sentence cites its source: each is checked on its own
            yield from re.findall(r"\S+\s*", squash(c.text))
            yield f" [{c.source}]" + (" " if i < len(reading.answer) - 1 else "")
        best, quoted = squash(reading.candidates[0].text), as_read(reading.answer)
        yield Assessment(reading.confidence, emphasis=tuple(emphasis(reading.question, best, quoted)))

    def why_not(self, reading: Reading | None) -> str:
        """Why the reader refused, for the inspector: its gate, or a confidence under the threshold."""
        if reading is None or not reading.candidates:
            return "no sentence of the passages could be quoted"
        if reading.gate:
            return reading.gate
        return f"the best passage's confidence ({reading.confidence:.0%}) is under the threshold ({self.threshold:.0%})"

    def rewrite(self, history: Sequence[Turn], question: str) -> str:
        return question
