"""Every Store passes these. A backend's test subclasses and supplies `store` and `twin` (a second
instance over the same data: another process or replica)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rag.errors import Forbidden, InvalidDocument, NotFound
from rag.types import Answer, Chunk, Citation, Hit, Principal

CRAFTED_IDS = ["", " ", "*", "'", "' or '1' eq '1", "c_", "t_", "../x", "a|b", "%", "_", "\x00", "0" * 31,
               "0" * 33, "G" * 32, "PartitionKey eq 'x'", "é" * 32]
ODD_NAMES = ["o'brien", "o'brien'", "a|b", "a,b", "a_b", "c_x", "%", "*", "x' or PartitionKey ne '", "\\", "ü é"]


def principals() -> dict[str, Principal]:
    tag = uuid.uuid4().hex[:6]
    return {"alice": Principal(f"alice-{tag}", "Alice", ("finance", "o'brien|team")),
            "bob": Principal(f"bob-{tag}", "Bob", ("finance",)),
            "carol": Principal(f"carol-{tag}", "Carol", ("finance-eu",))}


def answer(question: str, text: str = "The answer is 42 [1].", size: int = 0) -> Answer:
    chunk = Chunk(f"chunk-{uuid.uuid4().hex[:8]}", "doc-1", "The answer is 42." + "x" * size, 3, 10, 27 + size,
                  section="Intro", title="guide.pdf", owner="alice", collection="")
    hit = Hit(chunk, 0.0325, 1, 2, 7.5, 0.81, flags=("instruction-like",))
    citation = Citation(1, chunk.chunk_id, "doc-1", "guide.pdf", 3, 10, 27, "The answer is 42.", ((10, 27), (40, 44)))
    return Answer(question, question + " rewritten", text, hits=[hit], retrieved=[hit, hit], citations=[citation],
                  confidence=0.87, emphasis=["42"], related=[hit], unsupported=["Maybe."])


class StoreContract:
    @pytest.fixture
    def store(self):
        raise NotImplementedError("subclass provides a Store")

    @pytest.fixture
    def twin(self, store):
        raise NotImplementedError("subclass provides a second Store over the same data")

    @pytest.fixture
    def users(self):
        return principals()

    # --- conversations round-trip exactly
    def test_a_turn_round_trips_exactly(self, store, users):
        info = store.create(users["alice"])
        original = answer("What is the answer?")
        turn = store.append(info.conv_id, users["alice"], "What is the answer?", original)
        got = store.conversation(info.conv_id, users["alice"])
        assert turn.n == 1 and [t.n for t in got.turns] == [1]
        assert got.turns[0].answer == original and got.turns[0].question == "What is the answer?"
        assert got.info.title == "What is the answer?" and got.info.turns == 1 and not got.read_only

    def test_a_large_turn_round_trips(self, store, users):
        info = store.create(users["alice"])
        big = answer("Big?", text="é" * 70_000, size=100_000)
        store.append(info.conv_id, users["alice"], "Big?", big)
        assert store.conversation(info.conv_id, users["alice"]).turns[0].answer == big

    def test_a_turn_over_the_limit_is_refused_and_nothing_is_written(self, store, users):
        info = store.create(users["alice"])
        with pytest.raises(InvalidDocument):
            store.append(info.conv_id, users["alice"], "Huge?", answer("Huge?", size=200_000))
        assert store.conversation(info.conv_id, users["alice"]).turns == ()

    def test_listing_is_newest_first_titled_by_first_question_and_renamable(self, store, users):
        alice = users["alice"]
        first, second = store.create(alice), store.create(alice)
        store.append(first.conv_id, alice, "Old question about turbines", answer("q"))
        store.append(second.conv_id, alice, "  Newer   question\nabout pumps ", answer("q"))
        store.append(second.conv_id, alice, "A follow-up does not rename it", answer("q"))
        listed = store.conversations(alice)
        assert [c.conv_id for c in listed] == [second.conv_id, first.conv_id]
        assert listed[0].title == "Newer question about pumps" and listed[0].turns == 2
        store.rename(first.conv_id, alice, "Turbines, renamed")
        assert store.conversations(alice)[1].title == "Turbines, renamed"
        with pytest.raises(InvalidDocument):
            store.rename(first.conv_id, alice, "   ")

    def test_search_matches_title_and_text_literally(self, store, users):
        alice = users["alice"]
        a, b, c = store.create(alice), store.create(alice), store.create(alice)
        store.append(a.conv_id, alice, "Bearing wear", answer("q", text="Vibration at 50% load [1]."))
        store.append(b.conv_id, alice, "Pump seals", answer("q", text="Replace the o_ring yearly [1]."))
        store.append(c.conv_id, alice, "Unrelated", answer("q", text="Nothing here."))
        ids = lambda q: {x.conv_id for x in store.conversations(alice, q)}  # noqa: E731
        assert ids("bearing") == {a.conv_id} and ids("VIBRATION") == {a.conv_id}
        assert ids("50%") == {a.conv_id} and ids("o_ring") == {b.conv_id}
        assert ids("%") == {a.conv_id} and ids("_") == {b.conv_id}
        assert ids("") == {a.conv_id, b.conv_id, c.conv_id} and ids("absent words") == set()

    def test_delete_and_delete_all(self, store, users):
        alice, bob = users["alice"], users["bob"]
        one, two, bobs = store.create(alice), store.create(alice), store.create(bob)
        store.append(one.conv_id, alice, "q1", answer("q1"))
        store.delete(one.conv_id, alice)
        with pytest.raises(NotFound):
            store.conversation(one.conv_id, alice)
        with pytest.raises(NotFound):
            store.delete(one.conv_id, alice)
        assert store.delete_all(alice) == 1 and store.conversations(alice) == []
        assert [c.conv_id for c in store.conversations(bob)] == [bobs.conv_id]
        assert two.conv_id not in {c.conv_id for c in store.conversations(alice)}

    # --- concurrency: two tabs, two replicas
    def test_concurrent_appends_from_two_instances_lose_no_turn(self, store, twin, users):
        alice = users["alice"]
        info = store.create(alice)
        errors = []

        def tab(which, name):
            try:
                for i in range(6):
                    which.append(info.conv_id, alice, f"{name} question {i}", answer(f"{name} {i}"))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=tab, args=(s, n)) for s, n in ((store, "left"), (twin, "right"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        got = twin.conversation(info.conv_id, alice)
        assert [t.n for t in got.turns] == list(range(1, 13)) and got.info.turns == 12
        assert sorted(t.question for t in got.turns) == sorted(f"{n} question {i}" for n in ("left", "right")
                                                               for i in range(6))

    def test_a_second_instance_sees_the_first_ones_writes(self, store, twin, users):
        alice = users["alice"]
        info = store.create(alice)
        store.append(info.conv_id, alice, "Seen elsewhere?", answer("q"))
        store.add_feedback(alice, {"rating": "up", "question": "Seen elsewhere?"}, info.conv_id, 1)
        store.save_run({"run_id": "20260101T000000Z-aaaaaa", "created_at": "2026-01-01", "rows": [{"id": "1"}]})
        assert [c.conv_id for c in twin.conversations(alice)] == [info.conv_id]
        assert twin.conversation(info.conv_id, alice).turns[0].feedback["rating"] == "up"
        assert twin.run("20260101T000000Z-aaaaaa")["rows"] == [{"id": "1"}]

    # --- scope
    def test_another_user_cannot_list_read_change_or_delete(self, store, users):
        alice, bob = users["alice"], users["bob"]
        info = store.create(alice)
        store.append(info.conv_id, alice, "Alice's secret question", answer("q"))
        assert store.conversations(bob) == [] and store.conversations(bob, "secret") == []
        assert store.shared_with_me(bob) == []
        for call in (lambda: store.conversation(info.conv_id, bob), lambda: store.delete(info.conv_id, bob),
                     lambda: store.rename(info.conv_id, bob, "mine"), lambda: store.share(info.conv_id, bob, "finance"),
                     lambda: store.append(info.conv_id, bob, "q", answer("q")),
                     lambda: store.add_feedback(bob, {"rating": "down"}, info.conv_id, 1)):
            with pytest.raises(NotFound):
                call()
        assert store.delete_all(bob) == 0 and store.feedback(bob) == []
        assert store.conversation(info.conv_id, alice).info.turns == 1

    @pytest.mark.parametrize("crafted", CRAFTED_IDS)
    def test_crafted_ids_find_nothing(self, store, users, crafted):
        alice = users["alice"]
        store.append(store.create(alice).conv_id, alice, "q", answer("q"))
        for call in (store.conversation, store.delete):
            with pytest.raises(NotFound):
                call(crafted, alice)
        with pytest.raises(NotFound):
            store.append(crafted, alice, "q", answer("q"))
        with pytest.raises(NotFound):
            store.run(crafted)

    def test_user_ids_and_groups_with_quotes_and_delimiters_stay_apart(self, store):
        people = [Principal(name, groups=(name, f"{name}|g")) for name in ODD_NAMES]
        mine = {p.user_id: store.create(p).conv_id for p in people}
        for p in people:
            store.append(mine[p.user_id], p, f"question of {p.user_id}", answer("q"))
        store.share(mine["o'brien"], people[0], "o'brien|g")
        for p in people:
            assert [c.conv_id for c in store.conversations(p)] == [mine[p.user_id]]
            assert [c.conv_id for c in store.conversations(p, "question")] == [mine[p.user_id]]
            others = set(mine.values()) - {mine[p.user_id]}
            for conv_id in others:
                with pytest.raises(NotFound):
                    store.conversation(conv_id, p)
            shared = {c.conv_id for c in store.shared_with_me(p)}
            assert shared == set()  # "o'brien|g" is only o'brien's own group
        member = Principal("someone else", groups=("o'brien|g",))
        assert [c.conv_id for c in store.shared_with_me(member)] == [mine["o'brien"]]
        assert store.shared_with_me(Principal("x", groups=("o'brien",))) == []  # a prefix of the group is not it

    # --- sharing
    def test_sharing_is_read_only_for_members_and_unsharing_is_immediate(self, store, twin, users):
        alice, bob, carol = users["alice"], users["bob"], users["carol"]
        info = store.create(alice)
        store.append(info.conv_id, alice, "Shared question", answer("q"))
        with pytest.raises(Forbidden):
            store.share(info.conv_id, alice, "finance-eu")  # not one of alice's groups
        assert store.share(info.conv_id, alice, "finance").shared_with == "finance"
        seen = twin.conversation(info.conv_id, bob)
        assert seen.read_only and seen.turns[0].question == "Shared question"
        assert [c.conv_id for c in twin.shared_with_me(bob)] == [info.conv_id]
        assert twin.conversations(bob) == []  # shared ones are not among bob's own
        for call in (lambda: twin.delete(info.conv_id, bob), lambda: twin.rename(info.conv_id, bob, "x"),
                     lambda: twin.append(info.conv_id, bob, "q", answer("q")),
                     lambda: twin.share(info.conv_id, bob, ""),
                     lambda: twin.add_feedback(bob, {"rating": "up"}, info.conv_id, 1)):
            with pytest.raises(Forbidden):
                call()
        assert twin.delete_all(bob) == 0
        with pytest.raises(NotFound):
            store.conversation(info.conv_id, carol)
        store.share(info.conv_id, alice, "")
        with pytest.raises(NotFound):
            twin.conversation(info.conv_id, bob)
        assert twin.shared_with_me(bob) == []
        assert store.conversation(info.conv_id, alice).info.shared_with == ""

    def test_a_deleted_shared_conversation_is_gone_for_members(self, store, users):
        alice, bob = users["alice"], users["bob"]
        info = store.create(alice)
        store.share(info.conv_id, alice, "finance")
        store.delete(info.conv_id, alice)
        assert store.shared_with_me(bob) == []
        with pytest.raises(NotFound):
            store.conversation(info.conv_id, bob)

    # --- feedback
    def test_feedback_on_a_turn_replaces_and_is_restored(self, store, users):
        alice, bob = users["alice"], users["bob"]
        info = store.create(alice)
        store.append(info.conv_id, alice, "q1", answer("q1"))
        store.add_feedback(alice, {"rating": "up", "question": "q1", "time": "2026-01-01T00:00:01"}, info.conv_id, 1)
        store.add_feedback(alice, {"rating": "down", "correction": "it's 43", "question": "q1",
                                   "time": "2026-01-01T00:00:02"}, info.conv_id, 1)
        store.add_feedback(alice, {"rating": "up", "question": "loose", "time": "2026-01-01T00:00:03"})
        with pytest.raises(NotFound):
            store.add_feedback(alice, {"rating": "up"}, info.conv_id, 2)  # no such turn
        records = store.feedback(alice)
        assert [(r["rating"], r["question"]) for r in records] == [("down", "q1"), ("up", "loose")]
        assert store.conversation(info.conv_id, alice).turns[0].feedback["correction"] == "it's 43"
        assert store.feedback(bob) == [] and store.delete_feedback(bob) == 0
        assert store.delete_feedback(alice) == 2 and store.feedback(alice) == []

    # --- evaluation runs
    def test_runs_round_trip_with_their_rows_newest_first(self, store):
        tag = uuid.uuid4().hex[:6]
        rows = [{"config": "hybrid", "id": str(i), "question": "q" * 5000, "retrieved": [{"text": "é" * 20_000}]}
                for i in range(30)]
        older = {"run_id": f"20260101T000000Z-{tag}", "created_at": "2026-01-01", "summary": {"hybrid": {"hit@5": 0.5}},
                 "configs": [{"name": "hybrid"}], "rows": rows}
        newer = {**older, "run_id": f"20260102T000000Z-{tag}", "rows": rows[:1]}
        store.save_run(older)
        store.save_run(newer)
        ids = [r["run_id"] for r in store.runs() if r["run_id"].endswith(tag)]
        assert ids == [newer["run_id"], older["run_id"]]
        assert all("rows" not in r for r in store.runs())
        assert store.run(older["run_id"]) == older
        store.save_run({**newer, "summary": {}})  # saving again replaces
        assert store.run(newer["run_id"])["summary"] == {}
        with pytest.raises(NotFound):
            store.run(f"20990101T000000Z-{tag}")

    # --- retention and one-time jobs
    def test_purge_removes_only_conversations_older_than_the_cutoff(self, store, users):
        alice = users["alice"]
        info = store.create(alice)
        store.append(info.conv_id, alice, "q", answer("q"))
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        assert store.purge(past) == 0 and store.conversation(info.conv_id, alice)
        future = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
        assert store.purge(future) >= 1
        assert store.conversations(alice) == []

    def test_flags_are_set_once(self, store, twin):
        name = f"import-{uuid.uuid4().hex[:6]}"
        assert not store.flag(name)
        store.set_flag(name)
        store.set_flag(name)
        assert store.flag(name) and twin.flag(name)
