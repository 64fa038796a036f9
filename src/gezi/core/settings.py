"""Settings from environment variables (GEZI_*) with embedded defaults."""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where gezi keeps its data and which database holds the register."""

    # An empty variable (GEZI_DATA_DIR= in a unit file) means "not set", not "the current directory".
    model_config = SettingsConfigDict(env_prefix="GEZI_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Path("gezi-data")
    database_url: str | None = None
    actor: str | None = None

    @property
    def db_url(self) -> str:
        """The register's SQLAlchemy URL: GEZI_DATABASE_URL or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'gezi.db').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        """Directory of content-addressed evidence blobs."""
        return self.data_dir / "evidence"

    @property
    def who(self) -> str:
        """The actor recorded on the audit trail."""
        if self.actor:
            return self.actor
        try:
            return getpass.getuser()
        except Exception:  # no passwd entry in some containers
            return "unknown"


def get_settings() -> Settings:
    """Read settings fresh from the environment."""
    return Settings()
