"""Settings, read once from the environment.

Every setting has a default that makes `make run` work on a fresh machine: an SQLite file in
the instance folder, the `processes/` and `forms/` folders of the checkout.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_dir: Path
    processes_dir: Path
    forms_dir: Path
    secret_key: str
    token_max_age: int = 12 * 3600
    workflow_cache_size: int = 2000
    # Each server process fires due timers every timer_interval seconds (off: VERWIJSFLOW_SCHEDULER=0).
    scheduler: bool = True
    timer_interval: float = 5.0

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        instance_dir = Path(overrides.pop("instance_dir", None) or env.get("VERWIJSFLOW_INSTANCE_DIR") or ROOT / "instance")
        database_url = overrides.pop("database_url", None) or env.get("VERWIJSFLOW_DATABASE_URL") or (
            f"sqlite:///{instance_dir / 'verwijsflow.sqlite3'}"
        )
        values = dict(
            database_url=database_url,
            instance_dir=instance_dir,
            processes_dir=Path(env.get("VERWIJSFLOW_PROCESSES_DIR") or ROOT / "processes"),
            forms_dir=Path(env.get("VERWIJSFLOW_FORMS_DIR") or ROOT / "forms"),
            secret_key=env.get("VERWIJSFLOW_SECRET_KEY") or _instance_secret(instance_dir),
            workflow_cache_size=int(env.get("VERWIJSFLOW_CACHE_SIZE", "2000")),
            scheduler=env.get("VERWIJSFLOW_SCHEDULER", "1").strip().lower() not in ("0", "false", "nee", "uit", "off"),
            timer_interval=float(env.get("VERWIJSFLOW_TIMER_INTERVAL", "5")),
        )
        values.update(overrides)
        return cls(**values)


def _instance_secret(instance_dir: Path) -> str:
    """A secret shared by every worker on this machine; several machines must set the variable."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
