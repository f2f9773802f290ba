"""Render the subject catalog as `docs/subjects.md`: `deltadesk subjects` writes it, `--check` compares."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from deltadesk.shared.subjects import CATALOG, LATEST_BUCKET, STREAMS, Delivery, Subject

DEFAULT_OUTPUT = Path("docs/subjects.md")


def render_catalog() -> str:
    lines = [
        "# Bus subjects",
        "",
        "Generated from `deltadesk.shared.subjects.CATALOG` by `deltadesk subjects`; do not edit by hand.",
        "A test fails when this file is stale.",
        "",
        "Every message is JSON with headers `Nats-Msg-Id` (events: the event id), `Dd-Type` (payload",
        "model), `Dd-Version` (its schema version) and `Dd-Publisher`. Money is a decimal string.",
        f"KV subjects are also kept, latest value only, in the `{LATEST_BUCKET}` bucket under the subject.",
        "",
        "| subject | payload | delivery | publishers | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for subject in CATALOG:
        payload = f"`{subject.payload.__name__}`"
        if subject.reply is not None:
            payload += f" → `{subject.reply.__name__}`"
        delivery = subject.delivery.value
        if subject.delivery is Delivery.STREAM and subject.stream is not None:
            delivery += f" `{subject.stream.name}`"
        publishers = ", ".join(sorted(subject.publishers))
        lines.append(f"| `{subject.pattern}` | {payload} | {delivery} | {publishers} | {subject.description} |")
    lines += ["", "## Streams", "", "| stream | subjects | retention | description |", "| --- | --- | --- | --- |"]
    for stream in STREAMS:
        subjects = ", ".join(f"`{s}`" for s in stream.subjects)
        lines.append(f"| `{stream.name}` | {subjects} | {stream.max_age_days:g} days | {stream.description} |")
    lines += ["", "## Payloads", ""]
    seen: set[str] = set()
    for subject in CATALOG:
        for model in _models(subject):
            if model.__name__ in seen:
                continue
            seen.add(model.__name__)
            lines += _model_section(model)
    return "\n".join(lines).rstrip() + "\n"


def _models(subject: Subject[Any]) -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = [subject.payload]
    if subject.reply is not None:
        models.append(subject.reply)
    return models


def _model_section(model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    doc = (model.__doc__ or "").strip().splitlines()
    lines = [f"### `{model.__name__}` (v{getattr(model, 'schema_version', 1)})", ""]
    if doc:
        lines += [doc[0], ""]
    lines += ["| field | type | required |", "| --- | --- | --- |"]
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        lines.append(f"| `{name}` | {_type_of(prop)} | {'yes' if name in required else 'no'} |")
    lines.append("")
    return lines


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "`" + prop["$ref"].rsplit("/", 1)[-1] + "`"
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    kind = prop.get("type", "object")
    if kind == "array":
        items = prop.get("items") or (prop.get("prefixItems") or [{}])[0]
        return f"list of {_type_of(items)}"
    if "format" in prop:
        return f"{kind} ({prop['format']})"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    return str(kind)


def register(sub: Any) -> None:
    parser = sub.add_parser("subjects", help="write docs/subjects.md from the subject catalog")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not current")
    parser.set_defaults(func=cmd_subjects)


def cmd_subjects(args: argparse.Namespace) -> int:
    text = render_catalog()
    output: Path = args.output
    if args.check:
        current = output.read_text() if output.exists() else ""
        if current != text:
            print(f"{output} is stale: run `deltadesk subjects`", file=sys.stderr)  # noqa: T201
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"wrote {output}")  # noqa: T201
    return 0
