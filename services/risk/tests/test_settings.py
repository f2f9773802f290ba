from pathlib import Path

import pytest
from pydantic import ValidationError

from deltadesk.risk.settings import BetaSourceName, RiskSettings
from deltadesk.shared.service import discover_services


def test_defaults_ask_tastytrade_then_yahoo_then_the_config_file() -> None:
    settings = RiskSettings(_env_file=None)
    assert settings.beta_sources == (
        BetaSourceName.TASTYTRADE,
        BetaSourceName.YFINANCE,
        BetaSourceName.CONFIG,
    )
    assert settings.beta_history_days == 504
    assert settings.risk_spx_max_age_s == 60
    assert settings.beta_config_file == Path("config/beta_config.json")
    assert settings.risk_matrix_file == Path("config/risk_matrix.yaml")
    assert not settings.tastytrade_enabled


def test_beta_sources_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTADESK_BETA_SOURCES", "yfinance-history, config")
    monkeypatch.setenv("DELTADESK_BETA_HISTORY_DAYS", "252")
    settings = RiskSettings(_env_file=None)
    assert settings.beta_sources == (BetaSourceName.YFINANCE_HISTORY, BetaSourceName.CONFIG)
    assert settings.beta_history_days == 252


@pytest.mark.parametrize("value", ["tastytrade,bloomberg", "config,config"])
def test_an_unknown_or_repeated_beta_source_is_an_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTADESK_BETA_SOURCES", value)
    with pytest.raises(ValidationError, match="beta_sources"):
        RiskSettings(_env_file=None)


def test_tastytrade_credentials_are_secret_and_enable_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELTADESK_TASTYTRADE_PROVIDER_SECRET", "s3cret")
    monkeypatch.setenv("DELTADESK_TASTYTRADE_REFRESH_TOKEN", "r3fresh")
    settings = RiskSettings(_env_file=None)
    assert settings.tastytrade_enabled
    assert "s3cret" not in repr(settings)
    assert "r3fresh" not in str(settings.model_dump())


def test_config_paths_follow_the_config_folder_unless_set(tmp_path: Path) -> None:
    settings = RiskSettings(_env_file=None, config_dir=tmp_path, risk_matrix_path=tmp_path / "strict.yaml")
    assert settings.beta_config_file == tmp_path / "beta_config.json"
    assert settings.risk_matrix_file == tmp_path / "strict.yaml"


def test_every_setting_is_described() -> None:
    undescribed = [name for name, field in RiskSettings.model_fields.items() if not field.description]
    assert undescribed == []


def test_the_service_is_found_through_its_entry_point() -> None:
    spec = discover_services()["risk"]
    assert spec.settings is RiskSettings
