from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llm.config import LlmSettings, current_settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = {"workspaces", "people", "segments", "studies", "interviews", "reports"}
LLM_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "MOTIVE_LLM_MODEL",
    "MOTIVE_LLM_TIMEOUT",
    "MOTIVE_LLM_MAX_RETRIES",
    "MOTIVE_LLM_REDACT",
)


def test_settings_are_read_when_a_call_is_made(settings) -> None:
    settings.OPENAI_API_KEY = "sk-1"
    settings.OPENAI_BASE_URL = ""
    settings.MOTIVE_LLM_MODEL = "local-model"
    settings.MOTIVE_LLM_TIMEOUT = "7.5"
    settings.MOTIVE_LLM_MAX_RETRIES = -1
    settings.MOTIVE_LLM_REDACT = False

    assert current_settings() == LlmSettings(
        api_key="sk-1",
        base_url=None,
        model="local-model",
        timeout_seconds=7.5,
        max_retries=0,
        redact=False,
    )


def _settings_from(environment: dict[str, str]) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key not in LLM_VARIABLES}
    # Set so that importing the settings creates no SQLite or broker folders.
    env.update({"DATABASE_URL": "postgres://x@127.0.0.1/x", "REDIS_URL": "redis://127.0.0.1/0"})
    env.update(environment)
    script = (
        "import json, config.settings.base as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {list(LLM_VARIABLES)!r}}}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True
    )
    return json.loads(output.stdout)


def test_the_environment_configures_the_llm() -> None:
    assert _settings_from({}) == {
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "MOTIVE_LLM_MODEL": "gpt-4o-mini",
        "MOTIVE_LLM_TIMEOUT": 20.0,
        "MOTIVE_LLM_MAX_RETRIES": 2,
        "MOTIVE_LLM_REDACT": True,
    }
    assert _settings_from(
        {
            "OPENAI_API_KEY": "sk-x",
            "OPENAI_BASE_URL": "http://llm.internal:8000/v1",
            "MOTIVE_LLM_MODEL": "llama3",
            "MOTIVE_LLM_TIMEOUT": "5",
            "MOTIVE_LLM_MAX_RETRIES": "0",
            "MOTIVE_LLM_REDACT": "0",
        }
    ) == {
        "OPENAI_API_KEY": "sk-x",
        "OPENAI_BASE_URL": "http://llm.internal:8000/v1",
        "MOTIVE_LLM_MODEL": "llama3",
        "MOTIVE_LLM_TIMEOUT": 5.0,
        "MOTIVE_LLM_MAX_RETRIES": 0,
        "MOTIVE_LLM_REDACT": False,
    }


@pytest.mark.parametrize("module", sorted((ROOT / "llm").rglob("*.py")), ids=lambda p: p.name)
def test_llm_imports_no_product_app(module: Path) -> None:
    imported: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.split(".")[0])

    assert imported.isdisjoint(PRODUCT_APPS)
