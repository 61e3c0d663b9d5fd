"""The one door to language models (see `llm.client`).

Public API, all importable from `llm.client`: `complete_json`, `complete_text`,
`LlmResult`, `LlmError`, `Message`, `redact` (llm.redaction), `quote_untrusted`
and `UNTRUSTED_TEXT_RULE` (llm.untrusted). This package imports no product app.
"""
