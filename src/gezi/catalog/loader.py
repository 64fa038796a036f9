"""Load and validate catalog files; a malformed file gives one error naming file and field.

Shipped catalogs live in ``gezi/catalog/data/*.yaml``. A directory in ``GEZI_CATALOG_DIR``
adds catalogs or replaces shipped ones with the same id, so a rule that changes with the law is
edited as data, without touching Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gezi.catalog.schema import CATALOG_TYPES, CodeList, EvidenceKinds, Framework, Mapping
from gezi.core.errors import GeziError

DATA_DIR = Path(__file__).parent / "data"
M = TypeVar("M", bound=BaseModel)


class CatalogError(GeziError):
    """A catalog file is missing, unreadable or does not match its schema."""


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into a CatalogError naming the file."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:  # e.g. a catalog saved as Big5 by a Windows editor
        raise CatalogError(f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise CatalogError(f"{path}:{where} invalid YAML ({getattr(exc, 'problem', exc)})") from None


def validate(path: Path, data: Any, model: type[M]) -> M:
    """Validate parsed data against a schema; the error names the file and the first bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CatalogError(f"{path}: field {_field_path(err['loc'])}: {err['msg']}{more}") from None


def data_dirs(subdir: str) -> list[Path]:
    """The shipped ``data/<subdir>`` and, when it exists, ``$GEZI_CATALOG_DIR/<subdir>``."""
    dirs = [DATA_DIR / subdir]
    extra = os.environ.get("GEZI_CATALOG_DIR")
    if extra and (Path(extra) / subdir).is_dir():
        dirs.append(Path(extra) / subdir)
    return dirs


def data_file(relpath: str) -> Path:
    """A module's data file: ``$GEZI_CATALOG_DIR/<relpath>`` replaces the shipped one if present.

    This lets a user change a rule, code list or threshold as data without touching Python.
    """
    extra = os.environ.get("GEZI_CATALOG_DIR")
    if extra and (Path(extra) / relpath).is_file():
        return Path(extra) / relpath
    return DATA_DIR / relpath


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Read one YAML file and validate it against a pydantic model (used by every module)."""
    return validate(path, read_yaml(path), model)


def load_data(relpath: str, model: type[M]) -> M:
    """A module's data file (see data_file), validated against its model; cached per file."""
    return _load_data_cached(data_file(relpath), model)


@cache
def _load_data_cached(path: Path, model: type[M]) -> M:
    return load_yaml_model(path, model)


@dataclass
class Catalogs:
    """Every catalog known to this install, by id."""

    frameworks: dict[str, Framework] = field(default_factory=dict)
    codelists: dict[str, CodeList] = field(default_factory=dict)
    mappings: dict[str, Mapping] = field(default_factory=dict)
    evidence_kinds: dict[str, EvidenceKinds] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def framework(self, framework_id: str) -> Framework:
        """A framework by id, or a one-line error listing the known ones."""
        try:
            return self.frameworks[framework_id]
        except KeyError:
            known = ", ".join(sorted(self.frameworks))
            raise GeziError(f"未知的框架 unknown framework {framework_id!r}; known: {known}") from None

    def codelist(self, list_id: str) -> CodeList:
        """A code list by id."""
        try:
            return self.codelists[list_id]
        except KeyError:
            raise GeziError(f"未知的代碼表 unknown code list {list_id!r}") from None

    def all_ids(self) -> list[str]:
        """Ids of every catalog, sorted."""
        return sorted(self.files)


_BUCKET = {Framework: "frameworks", CodeList: "codelists", Mapping: "mappings",
           EvidenceKinds: "evidence_kinds"}


def _catalog_files() -> list[Path]:
    files = sorted(DATA_DIR.glob("*.yaml"))
    extra = os.environ.get("GEZI_CATALOG_DIR")
    if extra:
        extra_dir = Path(extra)
        if not extra_dir.is_dir():
            raise CatalogError(f"GEZI_CATALOG_DIR {extra_dir} is not a directory")
        files += sorted(extra_dir.glob("*.yaml"))
    return files


def load_file(path: Path) -> BaseModel:
    """Load one catalog file of any known schema."""
    data = read_yaml(path)
    if not isinstance(data, dict) or "schema" not in data:
        raise CatalogError(f"{path}: field schema: missing (one of {', '.join(CATALOG_TYPES)})")
    model = CATALOG_TYPES.get(data["schema"])
    if model is None:
        raise CatalogError(f"{path}: field schema: unknown schema {data['schema']!r}")
    return validate(path, data, model)


def _check_mapping(path: Path, mapping: Mapping, frameworks: dict[str, Framework]) -> None:
    for g, group in enumerate(mapping.groups):
        for ref in group.items:
            fw_id, item_id = ref.split(":", 1)
            fw = frameworks.get(fw_id)
            if fw is None or fw.item(item_id) is None:
                raise CatalogError(f"{path}: field groups.{g}.items: unknown item {ref!r}")


@cache
def _load(extra: str | None) -> Catalogs:
    cats = Catalogs()
    for path in _catalog_files():
        obj = load_file(path)
        getattr(cats, _BUCKET[type(obj)])[obj.id] = obj
        cats.files[obj.id] = path
    for mid, mapping in cats.mappings.items():
        _check_mapping(cats.files[mid], mapping, cats.frameworks)
    return cats


def load_catalogs() -> Catalogs:
    """All catalogs (shipped plus GEZI_CATALOG_DIR), validated; cached per catalog directory."""
    return _load(os.environ.get("GEZI_CATALOG_DIR"))


def clear_cache() -> None:
    """Forget loaded catalogs (tests that edit catalog files call this)."""
    _load.cache_clear()
    _load_data_cached.cache_clear()
