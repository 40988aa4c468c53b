"""A process killed (SIGKILL) while it appends turns leaves every completed turn and no torn one."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from rag.settings import Settings
from rag.store.sqlite import SqliteStore
from rag.types import Principal

ME = Principal("me")
WORKER = textwrap.dedent("""
    import sys
    from rag.settings import Settings
    from rag.store.sqlite import SqliteStore
    from rag.types import Principal
    from tests.contracts.store import answer

    store = SqliteStore(Settings(data_dir=sys.argv[1]))
    me = Principal("me")
    n = 0
    while True:
        n += 1
        turn = store.append(sys.argv[2], me, f"question {n}", answer(f"question {n}", size=20_000))
        print(turn.n, flush=True)
""")


def test_sigkill_mid_append_keeps_every_completed_turn_and_no_torn_one(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    conv_id = SqliteStore(settings).create(ME).conv_id
    rng, env = random.Random(14), {**os.environ, "PYTHONPATH": os.getcwd()}
    completed = 0
    for _ in range(4):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, str(settings.data_dir), conv_id], env=env,
                                  stdout=subprocess.PIPE, text=True)
        first = worker.stdout.readline()  # it is writing: now kill it at a random moment
        assert first.strip().isdigit(), "the worker never completed a turn"
        time.sleep(rng.uniform(0.05, 0.4))
        worker.send_signal(signal.SIGKILL)
        printed = [int(line) for line in [first, *worker.stdout.read().split()] if str(line).strip()]
        worker.wait()
        conversation = SqliteStore(settings).conversation(conv_id, ME)  # a fresh process's view
        numbers = [t.n for t in conversation.turns]
        assert numbers == list(range(1, len(numbers) + 1)) and conversation.info.turns == len(numbers)
        assert max(printed) <= len(numbers) <= max(printed) + 1  # committed-but-not-yet-printed at most one
        for turn in conversation.turns:  # each one whole: its answer decodes with every part in place
            assert turn.answer.question == turn.question and turn.answer.citations[0].spans == ((10, 27), (40, 44))
            assert len(turn.answer.hits[0].chunk.text) == len("The answer is 42.") + 20_000
        completed = len(numbers)
    assert completed > 4
