"""Originals and derived files on the local disk, written atomically (temp file + rename)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from rag.errors import BackendUnavailable, NotFound
from rag.settings import Settings

SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of it, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{os.getpid()}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_partial_writes(root: Path) -> None:
    """Remove temp files of writers that died mid-write (SIGKILL, power loss): nothing left behind."""
    for tmp in root.rglob(".tmp-*") if root.exists() else ():
        pid = tmp.name.split("-")[1]
        if pid.isdigit() and not pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)


class FilesystemBlobStore:
    def __init__(self, settings: Settings):
        self.root = Path(settings.blob_dir)
        sweep_partial_writes(self.root)

    def _path(self, key: str) -> Path:
        if not SAFE_KEY.match(key) or ".." in key:
            raise NotFound(f"Invalid blob key {key!r}.")
        return self.root / key

    def put(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        path = self._path(key)
        try:
            write_atomic(path, data)
            write_atomic(path.with_name(path.name + ".meta.json"), json.dumps(metadata or {}).encode())
        except OSError as exc:
            raise BackendUnavailable(
                f"Could not write to the data folder {self.root} ({exc.strerror}). "
                "Check free disk space and that DocChat may write there (RAG_DATA_DIR)."
            ) from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"The stored file {key} is missing.") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".meta.json").unlink(missing_ok=True)

    def metadata(self, key: str) -> dict[str, str]:
        path = self._path(key)
        try:
            return json.loads(path.with_name(path.name + ".meta.json").read_text())
        except FileNotFoundError as exc:
            raise NotFound(f"The stored file {key} is missing.") from exc
