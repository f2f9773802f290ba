from pathlib import Path

from deltadesk.shared.env_example import render_env_example, settings_classes

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_env_example_lists_every_setting_with_its_default() -> None:
    checked_in = (ROOT / ".env.example").read_text()
    assert checked_in == render_env_example(), ".env.example is stale: run `deltadesk env-example`"


def test_every_setting_of_every_service_is_documented() -> None:
    text = (ROOT / ".env.example").read_text()
    for _, cls in settings_classes():
        for name, field in cls.model_fields.items():
            assert f"DELTADESK_{name.upper()}=" in text
            assert field.description, f"{cls.__name__}.{name} has no description"
