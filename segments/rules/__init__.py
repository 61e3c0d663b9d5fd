"""The rule engine: validate segment rule definitions and compile them to set-based SQL.

Public API (see docs/segments.md for the grammar and its semantics):

- `validate_definition(definition, *, workspace, segment_id=None)` raises `RuleError`
  with the path of the problem (`all[1].value: unknown comparator "gt="`).
- `compile_rule(definition, *, workspace, as_of)` → `CompiledQuery(sql, params)`: one
  `SELECT` of matching person ids, usable as a subquery by the compute service.
- `evaluate_rule(...)` → set of person ids; `rule_people(...)` → a Person QuerySet;
  `preview(...)` → `{"size", "sample"}`.
- `segment_references(definition)` → the segment ids a definition depends on.
- `describe(definition, names)` → the rule as one readable sentence ("reads as").
- `qualifying.qualifying_values(...)` → what qualified given members ("5 times Logged In").
"""

from segments.rules.compiler import CompiledQuery, compile_rule
from segments.rules.description import describe
from segments.rules.evaluation import evaluate_rule, preview, rule_people
from segments.rules.validation import RuleError, segment_references, validate_definition

__all__ = [
    "CompiledQuery",
    "RuleError",
    "compile_rule",
    "describe",
    "evaluate_rule",
    "preview",
    "rule_people",
    "segment_references",
    "validate_definition",
]
