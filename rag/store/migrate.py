"""Feedback and evaluation runs that earlier versions wrote as files under the data dir, imported into
the Store once, on first start. The files are left where they are (nothing is lost), and the import
is idempotent: a feedback line keeps an id made from its bytes, a run keeps its run id."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

from rag.errors import NotFound
from rag.protocols import Store
from rag.types import Principal

FLAG = "import-files-v1"
LOGGER = logging.getLogger(__name__)


def import_feedback(store: Store, data_dir: Path) -> int:
    count = 0
    for path in sorted((data_dir / "feedback").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                user = str(record["user"])
            except (ValueError, KeyError, TypeError):
                LOGGER.warning("Skipped an unreadable feedback line in %s (the file is kept).", path.name)
                continue
            store.add_feedback(Principal(user), {**record, "id": "import-" + hashlib.sha256(line).hexdigest()[:32]})
            count += 1
    return count


def import_runs(store: Store, data_dir: Path) -> int:
    count = 0
    for path in sorted((data_dir / "eval" / "runs").glob("*.json")):
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
            run = {**run, "run_id": re.sub(r"[^A-Za-z0-9._-]", "-", str(run.get("run_id") or path.stem))[:128]}
        except (OSError, ValueError, AttributeError):
            LOGGER.warning("Skipped an unreadable evaluation run %s (the file is kept).", path.name)
            continue
        try:
            store.run(run["run_id"])
        except NotFound:
            store.save_run(run)
            count += 1
    return count


def import_files(store: Store, data_dir: Path) -> dict[str, int]:
    """Once per store: what was imported (empty when it had been done before)."""
    if store.flag(FLAG):
        return {}
    done = {"feedback": import_feedback(store, data_dir), "runs": import_runs(store, data_dir)}
    store.set_flag(FLAG)
    if any(done.values()):
        LOGGER.info("Imported %(feedback)d feedback records and %(runs)d evaluation runs from files.", done)
    return done
