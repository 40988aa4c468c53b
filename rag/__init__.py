"""DocChat: chat with your PDF, DOCX and TXT files."""

__version__ = "0.1.0"  # keep in step with pyproject.toml
