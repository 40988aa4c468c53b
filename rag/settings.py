"""The one place DocChat reads its configuration. Every field is documented; defaults are local."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All `RAG_*` environment variables. The README's configuration table lists every field."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # --- where things live and which backend serves each seam
    data_dir: Path = Field(Path(".data"), description="Folder for the local index, originals and runs.")
    embedder: str = Field("local", description="Embedder backend: `local` (all-MiniLM-L6-v2), `azure`, `openai`.")
    index: str = Field("local", description="Index backend: `local` (tantivy + numpy) or `azure` (AI Search).")
    blobs: str = Field("local", description="Blob store backend: `local` (files under the data dir) or `azure`.")
    chat: str = Field("extractive", description="Chat model: `extractive` (offline, quotes sources), `openai`, `azure`.")
    parser: Literal["local", "azure"] = Field(
        "local", description="Parser of PDFs and images: `local` (pypdf, Tesseract OCR for scans) or `azure` (AI Document Intelligence)."
    )
    secrets: str = Field("env", description="Secret store: `env` (environment / .streamlit/secrets.toml) or `keyvault`.")
    store: str = Field("local", description="Store of conversations, feedback and evaluation runs: `local` (SQLite "
                       "file `store.sqlite3` in the data dir) or `azure` (Table Storage in the storage account).")
    conversation_retention_days: int = Field(
        0, ge=0, description="Days a conversation is kept after its last turn (expired ones are deleted when DocChat "
        "starts); 0: forever.")

    # --- identity
    auth_mode: Literal["none", "proxy", "oidc"] = Field(
        "none", description="`none`: one local user; `proxy`: trust the auth proxy's X-Auth-Request-* headers; `oidc`: st.login."
    )
    local_user: str = Field("local", description="User id of the single user when `RAG_AUTH_MODE=none`.")

    # --- ingestion
    max_upload_mb: float = Field(50.0, description="Largest accepted upload, in MB.")
    max_pages: int = Field(5000, description="Most pages (PDF pages, DOCX sections) accepted in one document.")
    max_unzipped_mb: float = Field(200.0, description="Largest decompressed size of a DOCX, in MB (zip-bomb guard).")
    ocr_max_pages: int = Field(500, description="Most pages read by OCR in one document (scanned PDF pages, image frames); OCR takes about 2 s a page.")
    ocr_max_megapixels: float = Field(50.0, description="Largest image (or rendered PDF page) OCR decodes, in megapixels (decompression-bomb guard).")
    chunk_tokens: int = Field(200, description="Target chunk size in the embedder's own tokens (capped at its input window).")
    chunk_overlap: int = Field(40, description="Overlap between neighbouring chunks, in embedder tokens (about 20 %).")
    embed_batch: int = Field(64, description="Texts per embedding batch.")
    embed_precision: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="Local embedder arithmetic: `bf16` runs the model under bfloat16 autocast (2-3x faster on CPUs "
        "with AVX-512 BF16 or AMX, vectors equal to fp32 within cosine 0.9999); `fp32` full precision; `auto` picks bf16 "
        "when the CPU supports it natively, else fp32."
    )
    index_lock_timeout: float = Field(60.0, description="Seconds a writer waits for the index lock held by another process.")

    # --- retrieval
    top_k: int = Field(6, description="Chunks retrieved per question and given to the chat model.")
    candidates: int = Field(50, description="Candidates each retriever contributes before fusion.")
    fusion: Literal["convex", "rrf"] = Field(
        "convex", description="Local index: how the BM25 and dense rankings are fused. `convex`: "
        "`RAG_VECTOR_SHARE` x the min-max normalised dense score + the rest x the normalised BM25 score (best on "
        "paraphrased questions, docs/evaluation.md); `rrf`: reciprocal rank fusion with `RAG_RRF_K` and the two weights."
    )
    vector_share: float = Field(0.8, ge=0.0, le=1.0, description="`convex` fusion: share of the dense score (0-1).")
    lexical_floor: float = Field(
        0.3, ge=0.0, le=1.0, description="Local index, `convex` fusion: when BM25's best chunk holds less than this share "
        "of the question's term weight (IDF), BM25 is matching incidental words (a paraphrase), so that question is "
        "ranked by the dense score alone; BM25's candidates are still rescored. 0: always fuse."
    )
    named_headings: bool = Field(
        True, description="Hybrid search: chunks under a heading that the question names in code form "
        "(\"asn1_read_value\" for a manual's \"asn1 read value\" entry) rank first, in fused order. Azure AI Search "
        "finds them with one more query, a phrase on the heading path."
    )
    named_values: bool = Field(
        True, description="Hybrid search: the few chunks (at most 8) that hold a name with a digit the question gives, "
        "its parts joined by punctuation (\"3.0.19\", \"CVE-2024-5535\", \"win-x64\"; not a bare \"2.0\"), in "
        "their text or heading path, rank first, in fused order: BM25 reads it as common words and the dense model "
        "barely tells one release from the next. Azure AI Search finds them with one more query per name, a phrase."
    )
    sentence_share: float = Field(
        0.5, ge=0.0, le=1.0, description="Local index: share of a chunk's best-matching sentence in its dense score, "
        "the rest being the whole chunk's cosine. Each sentence is embedded at ingest (about 2x the embedding time, "
        "float16 in memory: ~5 KB per chunk). 0: chunk vectors only, and sentences are not embedded."
    )
    rrf_k: int = Field(60, description="`rrf` fusion: reciprocal rank fusion constant (higher flattens rank differences).")
    bm25_weight: float = Field(1.0, description="`rrf` fusion: weight of the BM25 ranking.")
    vector_weight: float = Field(1.0, description="`rrf` fusion: weight of the vector ranking.")

    # --- answers
    answer_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Extractive answerer: least calibrated confidence (0-1) to answer; below it "
        "DocChat says it could not find the answer and lists related passages. Empty: the threshold fitted on the QA "
        "benchmark's dev half (rag/backends/local/reader.json).",
    )
    answer_sentences: int = Field(3, description="Extractive answerer: most sentences quoted around the best one "
                                  "(a sentence that opens a list brings up to 5 items).")
    answer_runner_up: float = Field(
        0.6, ge=0.0, le=1.0, description="Extractive answerer: also quote the next-best sentence that can answer, with "
        "its own citation, when its probability is at least this share of the best one's; 0: one passage only.",
    )
    openai_base_url: str = Field("", description="OpenAI-compatible endpoint for `RAG_CHAT=openai` (e.g. Ollama's http://localhost:11434/v1).")
    openai_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible endpoint.")
    openai_api_key: SecretStr = Field(SecretStr(""), description="API key for the OpenAI-compatible endpoint (read through the secret store in production).")
    chat_timeout: float = Field(60.0, description="Seconds to wait for a chat or embedding endpoint before retrying.")
    chat_retries: int = Field(3, description="Retries on timeouts, 429 and 5xx from model endpoints.")
    chat_seed: int | None = Field(
        None, description="Sampling seed sent with every chat request (OpenAI, vLLM, llama.cpp and Ollama honour it); "
        "with the temperature DocChat always uses (0) it makes repeated runs give the same answer. Empty: not sent."
    )
    chat_max_tokens: int = Field(
        0, description="Most tokens a chat model may write per answer or rewrite (bounds small local models that "
        "ramble); 0: not sent, the server's own limit applies."
    )

    # --- guardrails
    max_question_bytes: int = Field(50_000, description="Largest accepted question, in bytes (UTF-8).")
    rate_limit_per_minute: int = Field(100, description="Questions one user may ask per minute, across all their sessions.")
    max_history_turns: int = Field(20, description="Most previous chat turns sent along with a question.")
    quarantine_flagged: bool = Field(
        True, description="Chunks flagged instruction-like (possible prompt injection) are listed with the answer's "
        "hits but never given to the chat model as sources; false sends them fenced like any other."
    )
    content_safety_endpoint: str = Field(
        "", description="Azure AI Content Safety endpoint, https://NAME.cognitiveservices.azure.com; when set, "
        "questions and sources also go through Prompt Shields and the harm-category check."
    )
    content_safety_severity: int = Field(4, description="Harm severity (0-7) at or above which Content Safety refuses a question.")
    audit_log: str = Field("", description="File the JSON audit lines (uploads, deletes, questions) are appended to; empty: standard error.")
    applicationinsights_connection_string: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices(
            "RAG_APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "applicationinsights_connection_string"),
        description="Azure Monitor connection string; when set, ingest and answer spans are exported there. "
        "Also read from APPLICATIONINSIGHTS_CONNECTION_STRING."
    )

    # --- Azure (used only when a seam is set to `azure`/`keyvault`)
    azure_openai_endpoint: str = Field("", description="Azure OpenAI endpoint, https://NAME.openai.azure.com.")
    azure_openai_api_version: str = Field("2024-10-21", description="Azure OpenAI REST API version.")
    azure_openai_embedding_deployment: str = Field("text-embedding-3-small", description="Deployment name of the embedding model.")
    azure_openai_embedding_model: str = Field(
        "text-embedding-3-small", description="Model behind the embedding deployment (text-embedding-3-small, "
        "text-embedding-3-large, text-embedding-ada-002): decides whether `dimensions` is sent.")
    azure_openai_embedding_dimensions: int = Field(
        1536, description="Vector size of the embedding model; sent as `dimensions` only to text-embedding-3 and later "
        "(ada-002 rejects it and is always 1536).")
    azure_openai_chat_deployment: str = Field("gpt-4o", description="Deployment name of the chat model.")
    azure_search_endpoint: str = Field("", description="Azure AI Search endpoint, https://NAME.search.windows.net.")
    azure_search_index: str = Field("docchat", description="Azure AI Search index name.")
    azure_search_analyzer: str = Field("en.microsoft", description="Language analyzer of the searchable content field.")
    azure_semantic: bool = Field(False, description="Use the Azure AI Search semantic ranker on hybrid queries.")
    azure_storage_account_url: str = Field("", description="Blob endpoint, https://ACCOUNT.blob.core.windows.net.")
    azure_storage_container: str = Field("docchat", description="Private blob container for originals.")
    azure_storage_table_url: str = Field(
        "", description="Table endpoint for `RAG_STORE=azure`, https://ACCOUNT.table.core.windows.net; empty: the "
        "account of RAG_AZURE_STORAGE_ACCOUNT_URL.")
    azure_storage_table: str = Field("docchat", description="Table (created on first use) holding conversations, feedback and runs.")
    azure_keyvault_url: str = Field("", description="Key Vault URL, https://NAME.vault.azure.net, for `RAG_SECRETS=keyvault`.")
    azure_search_manage_index: bool = Field(
        True, description="Create or update the AI Search index schema on first use (needs Search Service Contributor); "
        "set false when infrastructure provisions the index."
    )
    azure_docintel_endpoint: str = Field("", description="Azure AI Document Intelligence endpoint, https://NAME.cognitiveservices.azure.com, for `RAG_PARSER=azure`.")
    azure_docintel_model: str = Field("prebuilt-layout", description="Document Intelligence model: `prebuilt-layout` (text, words, tables) or `prebuilt-read` (text and words, cheaper).")
    azure_docintel_scanned_only: bool = Field(
        False, description="With `RAG_PARSER=azure`, send only the PDF pages without a text layer (and images) to Document "
        "Intelligence, one page at a time; the other pages keep their text layer, to keep cost down."
    )
    openai_embedding_model: str = Field("text-embedding-3-small", description="Embedding model sent to the OpenAI-compatible endpoint for `RAG_EMBEDDER=openai`.")
    openai_embedding_dimensions: int = Field(1536, description="Vector size of the OpenAI-compatible embedding model (requested as `dimensions` from text-embedding-3 models).")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
