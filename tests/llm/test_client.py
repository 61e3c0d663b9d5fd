from __future__ import annotations

import json
import logging
import socket
import time
from typing import Any

import pytest

from llm.client import LlmError, Message, complete_json, complete_text
from tests.llm.fake_openai import CHAT_PATH, FakeOpenAI, Reply

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "followup": {"type": "string", "minLength": 1},
        "done": {"type": "boolean"},
    },
    "required": ["followup", "done"],
    "additionalProperties": False,
}
GOOD = {"followup": "What made you look at pricing that day?", "done": False}
OFFLINE = {"followup": "Could you tell me more?", "done": False}
ASK = [Message(role="user", content="I looked at pricing because my trial ended.")]


def ask_json(**overrides: Any):
    arguments: dict[str, Any] = {
        "task": "interviews.probe",
        "system": "You are a research interviewer.",
        "messages": ASK,
        "schema": SCHEMA,
        "fallback": lambda: dict(OFFLINE),
    }
    arguments.update(overrides)
    return complete_json(**arguments)


def test_structured_output_is_parsed_validated_and_described(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.json(GOOD, model="gpt-4o-mini-2024-07-18"))

    result = ask_json()

    assert result.data == GOOD
    assert (result.provider, result.model) == ("openai", "gpt-4o-mini-2024-07-18")
    assert (result.fell_back, result.reason, result.attempts) == (False, None, 1)
    assert result.latency_ms >= 0
    [request] = llm_online.received
    assert (request.method, request.path) == ("POST", CHAT_PATH)
    assert request.headers["authorization"] == "Bearer sk-test-fake"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.messages == [
        {"role": "system", "content": "You are a research interviewer."},
        {"role": "user", "content": "I looked at pricing because my trial ended."},
    ]
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "interviews_probe", "schema": SCHEMA, "strict": True},
    }


def test_a_server_error_is_retried(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.error(500), Reply.error(503), Reply.json(GOOD))

    result = ask_json()

    assert (result.data, result.provider, result.fell_back, result.attempts) == (
        GOOD,
        "openai",
        False,
        3,
    )
    assert len(llm_online.received) == 3


def test_server_errors_past_the_retry_budget_fall_back(llm_online: FakeOpenAI, settings) -> None:
    settings.MOTIVE_LLM_MAX_RETRIES = 1
    llm_online.script(Reply.error(500), Reply.error(502), Reply.json(GOOD))

    result = ask_json()

    assert result.data == OFFLINE
    assert (result.provider, result.model, result.fell_back) == ("offline", "offline", True)
    assert result.reason == "HTTP 502 (after 2 attempts)"
    assert result.attempts == 2
    assert llm_online.pending == 1


def test_a_rate_limit_is_retried_after_the_pause_the_server_asks_for(
    llm_online: FakeOpenAI,
) -> None:
    llm_online.script(Reply.error(429, headers={"Retry-After": "0.3"}), Reply.json(GOOD))

    started = time.monotonic()
    result = ask_json()

    assert (result.data, result.attempts) == (GOOD, 2)
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_client_errors_are_not_retried(llm_online: FakeOpenAI, status: int) -> None:
    llm_online.script(Reply.error(status), Reply.json(GOOD))

    result = ask_json()

    assert (result.data, result.fell_back, result.reason) == (OFFLINE, True, f"HTTP {status}")
    assert len(llm_online.received) == 1


def test_a_timeout_falls_back_without_waiting_for_the_server(
    llm_online: FakeOpenAI, settings
) -> None:
    settings.MOTIVE_LLM_TIMEOUT = 0.5
    settings.MOTIVE_LLM_MAX_RETRIES = 0
    llm_online.script(Reply.json(GOOD, delay=3))

    started = time.monotonic()
    result = ask_json()

    assert time.monotonic() - started < 2
    assert (result.data, result.fell_back, result.reason, result.attempts) == (
        OFFLINE,
        True,
        "timed out",
        1,
    )


def test_a_timeout_is_retried(llm_online: FakeOpenAI, settings) -> None:
    settings.MOTIVE_LLM_TIMEOUT = 0.5
    llm_online.script(Reply.json(OFFLINE, delay=3), Reply.json(GOOD))

    result = ask_json()

    assert (result.data, result.provider, result.attempts) == (GOOD, "openai", 2)


def test_a_per_call_timeout_overrides_the_setting(llm_online: FakeOpenAI, settings) -> None:
    settings.MOTIVE_LLM_TIMEOUT = 10
    settings.MOTIVE_LLM_MAX_RETRIES = 0
    llm_online.script(Reply.json(GOOD, delay=3))

    started = time.monotonic()
    result = ask_json(timeout=0.3)

    assert (result.fell_back, result.reason) == (True, "timed out")
    assert time.monotonic() - started < 2


def test_no_server_listening_is_a_connection_failure(settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OPENAI_API_KEY = "sk-test-fake"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.MOTIVE_LLM_MAX_RETRIES = 1

    result = ask_json()

    assert (result.fell_back, result.reason, result.attempts) == (
        True,
        "connection failed (after 2 attempts)",
        2,
    )


def test_malformed_json_is_re_asked_once_with_the_problem_named(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.text('{"followup": "Why', model="m"), Reply.json(GOOD))

    result = ask_json()

    assert (result.data, result.fell_back, result.attempts) == (GOOD, False, 2)
    re_ask = llm_online.received[1]
    assert re_ask.messages[-2] == {"role": "assistant", "content": '{"followup": "Why'}
    assert re_ask.messages[-1]["role"] == "user"
    assert re_ask.messages[-1]["content"].startswith("That reply was not usable: invalid JSON")
    assert re_ask.response_format == llm_online.received[0].response_format


def test_malformed_json_twice_falls_back(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.text("not json"), Reply.text("still not json"), Reply.json(GOOD))

    result = ask_json()

    assert (result.data, result.fell_back, result.attempts) == (OFFLINE, True, 2)
    assert result.reason == ("invalid JSON (Expecting value at line 1 column 1) (after a re-ask)")
    assert llm_online.pending == 1


def test_json_that_breaks_the_schema_counts_as_a_failure(llm_online: FakeOpenAI) -> None:
    wrong = {"followup": "", "done": "no", "secret": "x"}
    llm_online.script(Reply.json(wrong), Reply.json({"done": False}))

    result = ask_json()

    assert (result.data, result.fell_back, result.attempts) == (OFFLINE, True, 2)
    assert result.reason == ("does not match the schema: required failed at $ (after a re-ask)")
    # What the model said is never echoed into the reason (it may be private).
    assert "secret" not in result.reason


@pytest.mark.parametrize(
    "reply",
    [Reply.json([GOOD]), Reply.text(""), Reply(content=None)],
    ids=["array", "empty", "null"],
)
def test_replies_that_are_not_one_object_count_as_failures(
    llm_online: FakeOpenAI, reply: Reply
) -> None:
    llm_online.script(reply, reply)

    result = ask_json()

    assert (result.data, result.fell_back) == (OFFLINE, True)


def test_json_in_a_markdown_fence_is_accepted(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.text(f"```json\n{json.dumps(GOOD)}\n```"))

    assert ask_json().data == GOOD


def test_a_server_without_json_schema_is_asked_again_in_json_mode(
    llm_online: FakeOpenAI,
) -> None:
    llm_online.script(
        Reply.error(400, "response_format json_schema is not supported"), Reply.json(GOOD)
    )

    result = ask_json()

    assert (result.data, result.provider, result.attempts) == (GOOD, "openai", 2)
    first, second = llm_online.received
    assert first.response_format["type"] == "json_schema"
    assert second.response_format == {"type": "json_object"}
    system = second.messages[0]["content"]
    assert system.startswith("You are a research interviewer.\n\nReply with one JSON object")
    assert json.dumps(SCHEMA, sort_keys=True) in system


def test_a_400_in_json_mode_too_is_a_failure(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.error(400), Reply.error(400), Reply.json(GOOD))

    result = ask_json()

    assert (result.fell_back, result.reason, result.attempts) == (True, "HTTP 400", 2)


def test_redaction_applies_to_everything_the_server_receives(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.text("not json"), Reply.json(GOOD))

    ask_json(
        system="Respondent jane@example.com, phone +44 20 7946 0958.",
        messages=[
            Message(role="user", content="My card 4111 1111 1111 1111 was declined."),
            Message(role="assistant", content="Sorry! Which bank, DE89 3704 0044 0532 0130 00?"),
            Message(role="user", content="Call me on 555-123-4567 about order 482913."),
        ],
    )

    sent = "\n".join(content for request in llm_online.received for content in request.contents)
    for secret in ("jane@example.com", "7946", "4111", "DE89", "555-123-4567"):
        assert secret not in sent
    assert llm_online.received[0].contents == [
        "Respondent [email], phone [phone].",
        "My card [card] was declined.",
        "Sorry! Which bank, [iban]?",
        "Call me on [phone] about order 482913.",
    ]


def test_redaction_can_be_switched_off(llm_online: FakeOpenAI, settings) -> None:
    settings.MOTIVE_LLM_REDACT = False
    llm_online.script(Reply.json(GOOD))

    ask_json(system="Respondent jane@example.com.")

    assert llm_online.received[0].contents[0] == "Respondent jane@example.com."


def test_without_a_fallback_a_failure_raises(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.error(401))

    with pytest.raises(LlmError) as raised:
        ask_json(fallback=None)

    assert (raised.value.task, raised.value.reason) == ("interviews.probe", "HTTP 401")
    assert str(raised.value) == "LLM task 'interviews.probe' failed: HTTP 401"


def test_a_fallback_whose_data_breaks_the_schema_is_a_programming_error(
    llm_online: FakeOpenAI,
) -> None:
    llm_online.script(Reply.error(401))

    with pytest.raises(ValueError, match=r"the fallback of LLM task 'interviews\.probe'"):
        ask_json(fallback=lambda: {"followup": "?"})


@pytest.mark.parametrize(
    "schema",
    [{"type": "array"}, {"type": "object", "properties": {"a": {"type": "nope"}}}],
)
def test_a_bad_schema_is_rejected_before_anything_is_sent(
    llm_online: FakeOpenAI, schema: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        ask_json(schema=schema)

    assert llm_online.received == []


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) every attempt to open a connection."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_without_a_key_the_offline_behaviour_answers_and_no_socket_opens(
    settings, no_network: list[object]
) -> None:
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"

    result = ask_json()

    assert result.data == OFFLINE
    assert (result.provider, result.model) == ("offline", "offline")
    assert (result.fell_back, result.reason, result.attempts) == (False, None, 0)
    assert no_network == []


def test_without_a_key_or_a_fallback_a_call_raises(settings, no_network: list[object]) -> None:
    settings.OPENAI_API_KEY = ""

    with pytest.raises(LlmError, match="OPENAI_API_KEY is empty"):
        ask_json(fallback=None)

    assert no_network == []


def test_each_call_logs_one_line_without_the_prompt(
    llm_online: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    llm_online.script(Reply.json(GOOD), Reply.error(401))
    caplog.set_level(logging.INFO, logger="llm")

    ask_json()
    ask_json(system="secret system prompt")

    lines = [record for record in caplog.records if record.name == "llm"]
    assert [record.levelno for record in lines] == [logging.INFO, logging.WARNING]
    first, second = (record.getMessage() for record in lines)
    assert first.startswith(
        "llm call task=interviews.probe provider=openai model=fake-model latency_ms="
    )
    assert first.endswith("attempts=1 fell_back=False reason=-")
    assert "provider=offline model=offline" in second
    assert second.endswith("attempts=1 fell_back=True reason=HTTP 401")
    for line in (first, second):
        assert "secret" not in line and "pricing" not in line and "interviewer" not in line


def test_complete_text_returns_the_reply(llm_online: FakeOpenAI) -> None:
    llm_online.script(Reply.text("  Price was the trigger.\n"))

    result = complete_text(task="reports.summary", system="Summarise.", messages=ASK)

    assert (result.data, result.provider, result.fell_back) == (
        "Price was the trigger.",
        "openai",
        False,
    )
    assert "response_format" not in llm_online.received[0].body


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply.text("   "), "empty reply"),
        (Reply.text("Price was the", finish_reason="length"), "reply cut off at the token limit"),
    ],
)
def test_complete_text_falls_back_on_unusable_replies(
    llm_online: FakeOpenAI, reply: Reply, reason: str
) -> None:
    llm_online.script(reply)

    result = complete_text(
        task="reports.summary", system="Summarise.", messages=ASK, fallback=lambda: "offline"
    )

    assert (result.data, result.fell_back, result.reason) == ("offline", True, reason)
