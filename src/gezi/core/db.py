"""The register database: SQLAlchemy base, engines, sessions and Alembic migrations.

One code path serves SQLite (the embedded default) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from gezi.core.errors import GeziError
from gezi.core.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
APP_MARK = "gezi-register"
MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Base class of every register table; changes to its rows go to the audit trail."""

    metadata = sa.MetaData(naming_convention=NAMING)


def timestamp(nullable: bool = False) -> Mapped:
    """A timezone-aware datetime column; required ones default to now (UTC)."""
    if nullable:
        return mapped_column(sa.DateTime(timezone=True), nullable=True)
    from gezi.core.timeutil import now_utc

    return mapped_column(sa.DateTime(timezone=True), default=now_utc)


class GeziMeta(Base):
    """Marks a database as gezi's register (key 'app')."""

    __tablename__ = "gezi_meta"
    __audited__ = False

    key: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))


def load_models() -> None:
    """Import every module that defines tables so Base.metadata is complete."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)


# Modules holding ORM models. A new module adds itself here and ships an Alembic migration.
MODEL_MODULES = [
    "gezi.core.audit",
    "gezi.org.models",
    "gezi.compliance.models",
    "gezi.pii.inventory_models",
    "gezi.privacy.incident_models",
    "gezi.privacy.ops_models",
]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@cache
def engine_for(url: str) -> Engine:
    """A cached engine for a database URL (foreign keys enforced on SQLite)."""
    try:
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise GeziError(f"無法使用資料庫 cannot use database URL {safe_url(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(invalid URL)"


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _inspect_state(engine: Engine) -> str:
    """'empty', 'gezi' or 'foreign' (a database with tables that are not gezi's)."""
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            if not tables:
                return "empty"
            if "gezi_meta" not in tables:
                return "foreign"
            mark = conn.execute(sa.text("SELECT value FROM gezi_meta WHERE key='app'")).scalar()
            return "gezi" if mark == APP_MARK else "foreign"
    except SQLAlchemyError as exc:
        raise GeziError(f"無法連線資料庫 cannot open database {safe_url(str(engine.url))}: "
                        f"{str(exc).splitlines()[0]}") from None


def init_db(settings: Settings) -> str:
    """Create the data directory and the register, or upgrade it; safe to re-run.

    Returns 'created' or 'upgraded'. Refuses a database that holds tables that are not gezi's.
    """
    from alembic import command

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.evidence_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GeziError(f"無法建立資料目錄 cannot create data directory {settings.data_dir}: "
                        f"{exc.strerror}") from None
    url = settings.db_url
    engine = engine_for(url)
    state = _inspect_state(engine)
    if state == "foreign":
        raise GeziError(f"這不是 gezi 的資料庫 not a gezi database: {safe_url(url)} (has other tables)")
    load_models()
    with engine.begin() as conn:
        cfg = _alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    return "created" if state == "empty" else "upgraded"


def register_exists(settings: Settings) -> bool:
    """True when the register has been initialized (used by sensors that write only if it exists)."""
    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    try:
        return _inspect_state(engine_for(url)) == "gezi"
    except GeziError:
        return False


def open_register(settings: Settings) -> sessionmaker[Session]:
    """A session factory for an initialized gezi register, or a one-line error."""
    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise GeziError("尚未初始化 register not initialized: run `gezi init` first")
    engine = engine_for(url)
    state = _inspect_state(engine)
    if state == "empty":
        raise GeziError("尚未初始化 register not initialized: run `gezi init` first")
    if state == "foreign":
        raise GeziError(f"這不是 gezi 的資料庫 not a gezi database: {safe_url(url)}")
    load_models()
    from gezi.core import audit

    factory = sessionmaker(bind=engine, expire_on_commit=False, future=True)
    audit.attach(factory, settings.who)
    return factory


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A transaction on the register: committed on success, rolled back on any error."""
    factory = open_register(settings)
    session = factory()
    try:
        yield session
        session.commit()
    except (OverflowError, sa.exc.DataError) as exc:
        # A value the database cannot hold (a huge number, a text longer than its column on
        # PostgreSQL) is bad input, not a crash: nothing is written.
        session.rollback()
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise GeziError(f"數值超出範圍或過長 value out of range or too long: {detail}") from None
    except sa.exc.IntegrityError as exc:
        # Two writers created the same row at once (same result, finding, link): the other one
        # won, this one wrote nothing and can simply be run again.
        session.rollback()
        detail = str(exc.orig).splitlines()[0]
        raise GeziError(f"資料同時被修改，未寫入任何資料，請重試 conflicting concurrent change, nothing "
                        f"written; run the command again ({detail})") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
