"""Kiosk configuration: one TOML file, every value with a safe default.

Looked up in $PONTE_CONFIG, then /etc/ponte/kiosk.toml, then
~/.config/ponte/kiosk.toml. Secrets (tokens, passwords) are never stored in the
file itself: a destination names an environment variable or a file to read.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import LANGUAGES

SAMPLE_SERVICES = Path(__file__).parent / "services"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Destination:
    """Where submissions of a service go, resolved by name from the config."""

    name: str
    kind: str  # "rest" or "openrosa"
    url: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    data_dir: Path
    kiosk_id: str = "ponte-dev"
    services_dirs: tuple[Path, ...] = (SAMPLE_SERVICES,)
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "en"
    idle_seconds: float = 60.0
    warning_seconds: float = 30.0
    destinations: dict[str, Destination] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    def destination(self, name: str) -> Destination | None:
        """The destination a service names; "*" in the config catches any name."""
        return self.destinations.get(name) or self.destinations.get("*")


def _default_data_dir() -> Path:
    if env := os.environ.get("PONTE_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ponte"


def config_path() -> Path | None:
    candidates = [os.environ.get("PONTE_CONFIG"), "/etc/ponte/kiosk.toml",
                  Path.home() / ".config" / "ponte" / "kiosk.toml"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def load_config(path: Path | str | None = None) -> Config:
    """Read the configuration; without a file, the demo defaults apply."""
    path = Path(path) if path else config_path()
    raw: dict = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    try:
        return config_from_dict(raw, base=path.parent if path else Path.cwd())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        # A value of the wrong kind ("soon" for seconds, a string for a table): say where.
        raise ConfigError(f"{path}: a value has the wrong type ({exc}); see the README's example") from None


def config_from_dict(raw: dict, base: Path | None = None) -> Config:
    base = base or Path.cwd()
    kiosk = raw.get("kiosk", {})
    data_dir = Path(kiosk["data_dir"]) if "data_dir" in kiosk else _default_data_dir()
    services = raw.get("services", {})
    dirs = tuple((base / d).resolve() for d in services.get("dirs", []))
    if services.get("include_samples", not dirs):
        dirs = (SAMPLE_SERVICES,) + dirs
    languages = tuple(kiosk.get("languages", LANGUAGES))
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ConfigError(f"kiosk.languages: unsupported {unknown}; choose from {list(LANGUAGES)}")
    session = raw.get("session", {})
    destinations = {}
    for name, spec in raw.get("destinations", {"*": _DEMO_DESTINATION}).items():
        if "url" not in spec:
            raise ConfigError(f"destinations.{name}: add a url")
        kind = spec.get("kind", "rest")
        if kind not in ("rest", "openrosa"):
            raise ConfigError(f"destinations.{name}.kind: '{kind}' is not 'rest' or 'openrosa'")
        options = {k: v for k, v in spec.items() if k not in ("kind", "url")}
        destinations[name] = Destination(name, kind, spec["url"], options)
    return Config(
        data_dir=data_dir,
        kiosk_id=str(kiosk.get("id", os.environ.get("PONTE_KIOSK_ID", "ponte-dev"))),
        services_dirs=dirs,
        languages=languages,
        default_language=kiosk.get("default_language", languages[0]),
        idle_seconds=float(session.get("idle_seconds", 60)),
        warning_seconds=float(session.get("warning_seconds", 30)),
        destinations=destinations,
        raw=raw,
    )


# Without a configuration file, every service goes to the local dev-backend.
_DEMO_DESTINATION = {"kind": "rest", "url": "http://127.0.0.1:8765"}
