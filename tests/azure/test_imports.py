"""With no Azure variables set, the local stack never imports an Azure SDK."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import sys
from rag import registry
from rag.guard import content_screen
from rag.settings import Settings
settings = Settings()
for seam in registry.BACKENDS:
    if seam != "screen":  # chosen by RAG_CONTENT_SAFETY_ENDPOINT, unset here
        registry.backend_class(seam, getattr(settings, seam))
assert content_screen(settings) is None
azure = sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.'))
assert not azure, azure
print('ok')
"""


def test_local_stack_imports_nothing_from_azure(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "AZURE_"))}
    env.update(RAG_DATA_DIR=str(tmp_path), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
