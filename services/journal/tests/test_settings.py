from __future__ import annotations

import pytest
from pydantic import ValidationError

from deltadesk.journal.service import SERVICE
from deltadesk.journal.settings import JournalSettings


def test_settings_come_from_their_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTADESK_DATABASE_URL", "postgresql://journal:s3cret@db/journal")
    monkeypatch.setenv("DELTADESK_SNAPSHOT_INTERVAL_SECONDS", "60")
    monkeypatch.setenv("DELTADESK_JOURNAL_POOL_SIZE", "3")
    settings = JournalSettings()
    assert settings.require_database_url() == "postgresql://journal:s3cret@db/journal"
    assert settings.snapshot_interval_seconds == 60.0
    assert settings.journal_pool_size == 3
    assert "s3cret" not in repr(settings)  # the URL may hold a password: never printed


def test_defaults_and_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DELTADESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DELTADESK_SNAPSHOT_INTERVAL_SECONDS", raising=False)
    settings = JournalSettings()
    assert settings.snapshot_interval_seconds == 900.0
    with pytest.raises(RuntimeError, match="DELTADESK_DATABASE_URL"):
        settings.require_database_url()
    with pytest.raises(ValidationError):
        JournalSettings(snapshot_interval_seconds=0)


def test_every_field_is_described_and_the_service_is_registered() -> None:
    assert all(field.description for field in JournalSettings.model_fields.values())
    assert SERVICE.name == "journal"
    assert SERVICE.settings is JournalSettings
