"""A document is either fully searchable or absent, however the ingesting process dies."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap

from rag.backends.local.index import LocalHybridIndex
from rag.settings import Settings
from rag.types import Principal

ME = Principal("me")
WORKER = textwrap.dedent("""
    import sys, time
    from rag.backends.local.blobs import FilesystemBlobStore
    from rag.backends.local.index import LocalHybridIndex
    from rag.ingest.pipeline import Ingestor
    from rag.settings import Settings
    from rag.types import Principal
    from tests.fakes import HashEmbedder

    class SlowEmbedder(HashEmbedder):
        def embed(self, texts):
            time.sleep(0.01)  # leaves the parent time to kill us mid-embedding
            return super().embed(texts)

    settings = Settings(data_dir=sys.argv[1], embed_batch=4)
    ingestor = Ingestor(settings, SlowEmbedder(), LocalHybridIndex(settings), FilesystemBlobStore(settings))
    for n in range(int(sys.argv[2])):
        text = " ".join(f"document {n} sentence {i} about topic {i % 7}." for i in range(400))
        report = ingestor.ingest(f"doc{n}.txt", text.encode(), Principal("me"))
        print(report.status, flush=True)
""")


def consistent(settings: Settings) -> dict[str, int]:
    """Every listed document has exactly its chunks, in both retrievers; nothing else is indexed."""
    index = LocalHybridIndex(settings)
    docs = index.documents(ME)
    for doc in docs:
        assert len(index.chunks(doc.doc_id, ME)) == doc.chunks > 0
    assert index.count() == sum(d.chunks for d in docs)
    assert len(index.vectors) == index.count()
    return {d.name: d.chunks for d in docs}


def run_worker(data_dir, count):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(data_dir), str(count)], env=env,
                            stdout=subprocess.PIPE, text=True)


def test_sigkill_during_ingestion_leaves_whole_documents_only(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    rng = random.Random(7)
    for attempt in range(5):
        worker = run_worker(settings.data_dir, 6)
        done = sum(1 for _ in zip(range(rng.randint(0, 3)), worker.stdout, strict=False))
        os.kill(worker.pid, signal.SIGKILL)  # somewhere inside the next document
        worker.wait()
        seen = consistent(settings)
        assert len(seen) >= done, f"attempt {attempt}: a finished document was lost"
    worker = run_worker(settings.data_dir, 6)
    statuses = worker.stdout.read().split()
    assert worker.wait() == 0 and len(statuses) == 6
    assert set(consistent(settings)) == {f"doc{n}.txt" for n in range(6)}
    leftovers = [p for p in (settings.data_dir / "blobs").rglob("*") if p.is_file() and not p.name.endswith(".json")]
    assert len(leftovers) == 6, json.dumps([str(p) for p in leftovers])
