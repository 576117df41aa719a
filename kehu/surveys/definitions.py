"""A whole survey as a file: YAML or JSON, load and export.

The file holds everything that defines a survey — its texts in both
languages, the indicator hierarchy with weights and how they were set (AHP
judgements included), the questions of every kind with their options and
display conditions, the latent constructs and the path model — and nothing
that happens to it later (status, waves, answers). Exporting a survey and
loading the file gives the same survey (docs/surveys.md has the format)::

    kehu_survey: 1
    code: gas-2026
    kind: customer                 # or employee, partner
    title: {zh-hans: 天然气供气服务满意度调查, en: Natural gas service satisfaction survey}
    settings: {satisfied_from: 80, follow_up_below: 60, resurvey_days: 90}
    indicators:                    # one root (level 1, the index), at most 4 levels
      code: csi
      name: {zh-hans: 顾客满意度指数, en: Customer satisfaction index}
      child_weights: equal         # manual | ahp | entropy | equal
      children:
        - code: supply
          name: {zh-hans: 供气质量, en: Gas supply quality}
          child_weights: manual
          children:
            - {code: pressure, name: {...}, weight: 0.6}
            - {code: gas_quality, name: {...}, weight: 0.4}
    questions:
      - code: Q1
        kind: likert5               # likert5 | nps | scale10 | single | multiple | text
        text: {zh-hans: ..., en: ...}
        indicator: pressure          # a leaf of the hierarchy
        construct: PQ                # a construct of the path model
      - code: Q9
        kind: text
        text: {...}
        show_if: {question: Q8, op: "<=", value: 6}
    constructs:
      - {code: PQ, name: {...}, mode: A}
    paths: ["EXP -> PQ", "PQ -> SAT"]

:func:`load_text` parses and validates a file and returns the definition as
a plain dictionary in this shape (defaults filled in, weights normalised, AHP
consistency computed); :class:`DefinitionError` lists every problem found,
each with its line in the file and the field (``questions[3].options[1].value``).
:func:`dump` writes a definition back as YAML or JSON.

The helpers every part of the workflow shares live here too:
:func:`question_score` (an answer on 0–100, the weighted-average method's
scores), :func:`condition_holds` and :func:`visible_questions` (conditional
display), :func:`describe_condition`, and the shipped templates
(:func:`library_templates`, :func:`library_template`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from kehu.analytics.ahp import AHP, CR_LIMIT, InconsistentJudgementsError
from kehu.analytics.csi import MAX_LEVELS
from kehu.surveys import texts
from kehu.surveys.models import ConstructMode, QuestionKind, SurveyKind, WeightMethod

FORMAT_VERSION = 1
LIBRARY_DIR = Path(__file__).resolve().parent / "library"
CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$")
SURVEY_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
MAX_FILE_BYTES = 2 * 1024 * 1024
WEIGHT_TOLERANCE = 0.001

#: Scored kinds: answered with a number, scored on 0–100, may measure an
#: indicator or a construct. ``(lowest, highest)`` answer.
SCALES: dict[str, tuple[int, int]] = {
    QuestionKind.LIKERT5: (1, 5),
    QuestionKind.NPS: (0, 10),
    QuestionKind.SCALE10: (1, 10),
}
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
#: The five-level scores of the weighted-average method (DOMAIN.md §5):
#: 满意 100, 较满意 80, 一般 60, 较不满意 40, 不满意 20 (level 5 … level 1).
DEFAULT_LIKERT_SCORES: dict[str, float] = {"5": 100.0, "4": 80.0, "3": 60.0, "2": 40.0, "1": 20.0}

NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
LIST_OPS = ("in", "not in")
PRESENCE_OPS = ("answered", "not answered")
OPS = NUMERIC_OPS + LIST_OPS + PRESENCE_OPS

SETTINGS_DEFAULTS = {
    "likert_scores": {},
    "satisfied_from": 80,
    "follow_up_below": 60,
    "follow_up_detractors": True,
    "follow_up_as": "task",
    "resurvey_days": 90,
}
#: What a follow-up is (Survey.follow_up_as): a task for the owner, or a complaint case.
FOLLOW_UP_AS = ("task", "case")

# The structural model's options (the file's ``model:`` mapping, Survey.model_options):
# the inner weighting scheme of PLS path modelling (Lohmöller 1989: path,
# centroid, factorial), whether the items are standardised (scaled) before
# estimation, the bootstrap resamples of the intervals and their seed.
MODEL_DEFAULTS = {"scheme": "path", "scaled": True, "bootstrap": 200, "seed": 20240601}
MODEL_SCHEMES = ("path", "centroid", "factorial")
MODEL_BOOTSTRAP_MAX = 5000


def model_option_errors(key: str, value) -> str | None:
    """Why ``value`` is not a valid structural-model option ``key`` (None when it is).
    Shared by the survey file and ``kehu survey analyze``."""
    if key == "scheme":
        if value not in MODEL_SCHEMES:
            return _("Choose the inner weighting scheme: %(choices)s.") % {"choices": ", ".join(MODEL_SCHEMES)}
    elif key == "scaled":
        if not isinstance(value, bool):
            return _("Give true or false.")
    elif key == "bootstrap":
        if not _is_number(value) or value != int(value) or not 0 <= value <= MODEL_BOOTSTRAP_MAX:
            return _("Give a whole number of bootstrap resamples from 0 to %(max)d.") % {"max": MODEL_BOOTSTRAP_MAX}
    elif key == "seed":
        if not _is_number(value) or value != int(value) or not 0 <= value < 2**32:
            return _("The seed is a whole number from 0 to 4294967295.")
    else:
        return _("Unknown model option. The options are: %(fields)s.") % {"fields": ", ".join(MODEL_DEFAULTS)}
    return None


def model_options(stored: Mapping | None = None, overrides: Mapping | None = None) -> dict:
    """The effective options: the defaults, then what the survey stores, then ``overrides`` (not None)."""
    out = dict(MODEL_DEFAULTS)
    for source in (stored or {}, overrides or {}):
        out.update({k: v for k, v in source.items() if k in MODEL_DEFAULTS and v is not None})
    out["bootstrap"], out["seed"] = int(out["bootstrap"]), int(out["seed"])
    return out


# --------------------------------------------------------------------------
# Errors with places
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (the field path and, for a
    file, the line) and what, in the user's language."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line and self.path:
            return _("line %(line)d, %(field)s: %(message)s") % {
                "line": self.line, "field": self.path, "message": self.message}
        if self.line:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


class DefinitionError(ValueError):
    """The definition cannot be loaded; :attr:`problems` lists why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]

    def as_field_errors(self) -> dict[str, list[str]]:
        """``{field path: [message, ...]}`` for the API's error envelope."""
        fields: dict[str, list[str]] = {}
        for p in self.problems:
            message = p.message if not p.line else _("line %(line)d: %(message)s") % {
                "line": p.line, "message": p.message}
            fields.setdefault(p.path or "__all__", []).append(message)
        return fields


# --------------------------------------------------------------------------
# Parsing with line numbers
# --------------------------------------------------------------------------

class _LineDict(dict):
    line: int = 0
    key_lines: dict


class _LineList(list):
    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers the line of every mapping, key and list item."""


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain word", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = value_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader, node, deep=False):
    seq = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = node.start_mark.line + 1
    seq.item_lines = [child.start_mark.line + 1 for child in node.value]
    return seq


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse(text: str | bytes, *, filename: str = "") -> Any:
    """The data of a YAML or JSON file (JSON is read as JSON first, so its
    syntax errors are reported the JSON way), with line numbers attached.
    ``DefinitionError`` for a file that cannot be read."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise DefinitionError([Problem("", _("The file is larger than 2 MB; a survey definition is far smaller."))])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionError([Problem("", _("The file is not UTF-8 text. Save it as UTF-8 and try again."))]) from None
    if not text.strip():
        raise DefinitionError([Problem("", _("The file is empty."))])
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise DefinitionError([Problem("", _("This is not valid JSON: %(error)s (column %(column)d).") % {
                "error": exc.msg, "column": exc.colno}, exc.lineno)]) from None
        text = text.replace("\t", " ")  # JSON allows tabs where YAML does not; the values are the same
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or ""
        raise DefinitionError([Problem("", _("This is not valid YAML: %(error)s.") % {"error": what}, line)]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem("", _("This is not valid YAML: %(error)s.") % {"error": exc})]) from None


def load_text(text: str | bytes, *, filename: str = "") -> dict:
    """Parse and validate a definition file; the normalised definition."""
    return validate(parse(text, filename=filename))


def load_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError([Problem("", _("Cannot read %(file)s: %(error)s") % {
            "file": str(path), "error": exc.strerror or exc})]) from None
    return load_text(raw, filename=path.name)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

class _Checker:
    """Collects problems while walking the data; never stops at the first."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(path, message, line))


def _line_of(container, key=None) -> int | None:
    if key is not None:
        if isinstance(container, _LineDict):
            return container.key_lines.get(key, container.line)
        if isinstance(container, _LineList) and isinstance(key, int) and key < len(container.item_lines):
            return container.item_lines[key]
    return getattr(container, "line", None) or None


def _join(path: str, key) -> str:
    if isinstance(key, int) and path:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _kind_names(values) -> str:
    return ", ".join(values)


def _nul_problems(data: Any) -> list[Problem]:
    """A problem for every key or text holding a NUL character (``\\x00``, for
    example ``"\\u0000"`` in JSON): no database column could store it."""
    from kehu.imports.readers import nul_message

    problems = []

    def walk(node, path, line):
        if isinstance(node, str):
            if "\x00" in node:
                problems.append(Problem(path, nul_message(), line))
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if "\x00" in str(key):
                    problems.append(Problem(path, nul_message(), _line_of(node, key)))
                    continue
                walk(value, _join(path, key), _line_of(node, key))
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                walk(value, _join(path, index), _line_of(node, index))

    walk(data, "", _line_of(data))
    return problems


def validate(data: Any) -> dict:
    """Check a parsed definition and return it normalised; ``DefinitionError``
    listing every problem otherwise (see the module docstring for the shape)."""
    ck = _Checker()
    if not isinstance(data, Mapping):
        raise DefinitionError([Problem("", _("A survey definition is a mapping of fields (code, title, questions, …)."),
                                       _line_of(data))])
    nul = _nul_problems(data)
    if nul:
        raise DefinitionError(nul)
    allowed = {"kehu_survey", "code", "kind", "title", "description", "intro", "thanks", "template", "settings",
               "indicators", "questions", "constructs", "paths", "model"}
    for key in data:
        if key not in allowed:
            ck.add(str(key), _("Unknown field. The fields of a survey are: %(fields)s.") % {
                "fields": ", ".join(sorted(allowed))}, _line_of(data, key))
    version = data.get("kehu_survey", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        ck.add("kehu_survey", _("This file is in format %(version)s; this version of Kehu reads format %(supported)s.")
               % {"version": version, "supported": FORMAT_VERSION}, _line_of(data, "kehu_survey"))
    out: dict[str, Any] = {"kehu_survey": FORMAT_VERSION}
    code = data.get("code")
    if not isinstance(code, str) or not SURVEY_CODE_RE.match(code or ""):
        ck.add("code", _("Give the survey a code of letters, digits, - and _ (at most 50), e.g. csi-2026."),
               _line_of(data, "code"))
    out["code"] = code if isinstance(code, str) else ""
    kind = data.get("kind", SurveyKind.CUSTOMER)
    if kind not in SurveyKind.values:
        ck.add("kind", _("Unknown kind %(value)r; choose one of: %(choices)s.") % {
            "value": kind, "choices": _kind_names(SurveyKind.values)}, _line_of(data, "kind"))
    out["kind"] = kind
    for field, required in (("title", True), ("description", False), ("intro", False), ("thanks", False)):
        out[field] = _text(ck, data, field, field, required=required)
    template = data.get("template", "") or ""
    if not isinstance(template, str) or len(template) > 50:
        ck.add("template", _("The template name is a word of at most 50 characters."), _line_of(data, "template"))
        template = ""
    out["template"] = template
    out["settings"] = _settings(ck, data.get("settings"), _line_of(data, "settings"))

    indicators = data.get("indicators")
    leaves: set[str] = set()
    all_indicators: set[str] = set()
    if indicators in (None, {}, []):
        out["indicators"] = None
    elif not isinstance(indicators, Mapping):
        ck.add("indicators", _("The indicators are one root indicator (the index) with its children."),
               _line_of(data, "indicators"))
        out["indicators"] = None
    else:
        out["indicators"] = _indicator(ck, indicators, "indicators", 1, leaves, all_indicators, root=True)

    constructs = _constructs(ck, data.get("constructs"), _line_of(data, "constructs"))
    out["constructs"] = constructs
    construct_codes = {c["code"] for c in constructs}
    out["paths"] = _paths(ck, data.get("paths"), construct_codes, _line_of(data, "paths"))
    out["model"] = _model(ck, data.get("model"), _line_of(data, "model"))
    out["questions"] = _questions(ck, data.get("questions"), leaves, all_indicators, construct_codes,
                                  _line_of(data, "questions"))
    if ck.problems:
        raise DefinitionError(ck.problems)
    return out


def _text(ck: _Checker, container, key, path, *, required: bool) -> dict:
    value = container.get(key) if isinstance(container, Mapping) else None
    line = _line_of(container, key) if isinstance(container, Mapping) and key in container else _line_of(container)
    from django.core.exceptions import ValidationError

    try:
        return texts.clean(value, field=path, required=required)
    except ValidationError as exc:
        for message in exc.message_dict.get(path, exc.messages):
            ck.add(path, message, line)
        return {}


def _settings(ck: _Checker, value, line) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in SETTINGS_DEFAULTS.items()}
    if value is None:
        return out
    if not isinstance(value, Mapping):
        ck.add("settings", _("The settings are a mapping (satisfied_from: 80, …)."), line)
        return out
    for key, v in value.items():
        path = f"settings.{key}"
        kl = _line_of(value, key)
        if key == "likert_scores":
            out[key] = _likert_scores(ck, v, path, kl)
        elif key in ("satisfied_from", "follow_up_below"):
            if not _is_number(v) or not 0 <= v <= 100 or v != int(v):
                ck.add(path, _("Give a whole score from 0 to 100."), kl)
            else:
                out[key] = int(v)
        elif key == "resurvey_days":
            if not _is_number(v) or v < 0 or v != int(v) or v > 3650:
                ck.add(path, _("Give a whole number of days from 0 to 3650."), kl)
            else:
                out[key] = int(v)
        elif key == "follow_up_detractors":
            if not isinstance(v, bool):
                ck.add(path, _("Give true or false."), kl)
            else:
                out[key] = v
        elif key == "follow_up_as":
            if v not in FOLLOW_UP_AS:
                ck.add(path, _("Give task or case."), kl)
            else:
                out[key] = v
        else:
            ck.add(path, _("Unknown setting. The settings are: %(fields)s.") % {
                "fields": ", ".join(SETTINGS_DEFAULTS)}, kl)
    return out


def _model(ck: _Checker, value, line) -> dict:
    """The ``model:`` mapping: only the options given (the rest stay at their defaults)."""
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        ck.add("model", _("The model options are a mapping (scheme: path, scaled: true, bootstrap: 200, seed: 1)."),
               line)
        return {}
    out = {}
    for key, v in value.items():
        problem = model_option_errors(str(key), v)
        if problem:
            ck.add(f"model.{key}", problem, _line_of(value, key))
        else:
            out[str(key)] = int(v) if key in ("bootstrap", "seed") else v
    return out


def _likert_scores(ck: _Checker, value, path, line) -> dict:
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        ck.add(path, _("Give the score of each level 1–5, e.g. {5: 100, 4: 80, 3: 60, 2: 40, 1: 20}."), line)
        return {}
    scores = {}
    bad = False
    for k, v in value.items():
        key = str(k)
        if key not in DEFAULT_LIKERT_SCORES:
            ck.add(f"{path}.{k}", _("The five levels are 1 to 5."), _line_of(value, k))
            bad = True
        elif not _is_number(v) or not 0 <= v <= 100:
            ck.add(f"{path}.{k}", _("A score is a number from 0 to 100."), _line_of(value, k))
            bad = True
        else:
            scores[key] = float(v)
    if bad:
        return {}
    if set(scores) != set(DEFAULT_LIKERT_SCORES):
        ck.add(path, _("Give a score for each of the five levels 1–5."), line)
        return {}
    if len(scores) == 5 and any(scores[str(k)] >= scores[str(k + 1)] for k in range(1, 5)):
        ck.add(path, _("The scores must rise from level 1 (不满意) to level 5 (满意)."), line)
    return {k: scores[k] for k in sorted(scores, reverse=True)}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _code(ck: _Checker, container, path: str, what: str) -> str:
    code = container.get("code") if isinstance(container, Mapping) else None
    if isinstance(code, (int, float)) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not CODE_RE.match(code):
        ck.add(_join(path, "code"), _("Give the %(what)s a code: a letter, then letters, digits, _ . or - "
                                      "(at most 40), e.g. Q1 or supply.") % {"what": what},
               _line_of(container, "code") if isinstance(container, Mapping) and "code" in container
               else _line_of(container))
        return ""
    return code


def _check_keys(ck: _Checker, container, path: str, allowed: set[str]) -> None:
    for key in container:
        if key not in allowed:
            ck.add(_join(path, key), _("Unknown field. Allowed here: %(fields)s.") % {
                "fields": ", ".join(sorted(allowed))}, _line_of(container, key))


def _indicator(ck: _Checker, node, path: str, level: int, leaves: set, seen: set, *, root=False) -> dict | None:
    if not isinstance(node, Mapping):
        ck.add(path, _("An indicator is a mapping with a code, a name and, for a group, its children."),
               _line_of(node))
        return None
    _check_keys(ck, node, path, {"code", "name", "weight", "child_weights", "ahp", "entropy", "children"})
    code = _code(ck, node, path, _("indicator"))
    if code:
        if code in seen:
            ck.add(_join(path, "code"), _("The indicator code %(code)s is used twice.") % {"code": code},
                   _line_of(node, "code"))
        seen.add(code)
    out: dict[str, Any] = {"code": code, "name": _text(ck, node, "name", _join(path, "name"), required=True),
                           "weight": None, "child_weights": WeightMethod.MANUAL.value, "children": []}
    if level > MAX_LEVELS:
        ck.add(path, _("Indicators go at most %(max)d levels deep (the index is level 1).") % {"max": MAX_LEVELS},
               _line_of(node))
        return out
    weight = node.get("weight")
    if root:
        if weight not in (None, 1, 1.0):
            ck.add(_join(path, "weight"), _("The root indicator (the index) has no weight."), _line_of(node, "weight"))
    elif weight is not None and (not _is_number(weight) or weight < 0):
        ck.add(_join(path, "weight"), _("A weight is a number of 0 or more."), _line_of(node, "weight"))
        weight = None
    out["weight"] = float(weight) if _is_number(weight) and not root else (1.0 if root else None)
    children = node.get("children") or []
    if not isinstance(children, list):
        ck.add(_join(path, "children"), _("The children are a list of indicators."), _line_of(node, "children"))
        children = []
    kids = []
    for i, child in enumerate(children):
        built = _indicator(ck, child, f"{path}.children[{i}]", level + 1, leaves, seen)
        if built is not None:
            kids.append(built)
    if not kids:
        if code:
            leaves.add(code)
        for key in ("child_weights", "ahp"):
            if node.get(key):
                ck.add(_join(path, key), _("Only an indicator with children has weights for them."),
                       _line_of(node, key))
        out["child_weights"] = WeightMethod.MANUAL.value
        out["children"] = []
        return out
    out["children"] = kids
    _child_weights(ck, node, path, out, kids, children)
    return out


def _child_weights(ck: _Checker, node, path: str, out: dict, kids: list, raw_children) -> None:
    """Check and normalise the weights of ``kids`` by the method of ``node``."""
    given = [k["weight"] for k in kids]
    method = node.get("child_weights")
    if method is None:
        method = WeightMethod.EQUAL if all(w is None for w in given) else (
            WeightMethod.AHP if node.get("ahp") else WeightMethod.MANUAL)
    mpath = _join(path, "child_weights")
    if method not in WeightMethod.values:
        ck.add(mpath, _("Unknown weight method %(value)r; choose one of: %(choices)s.") % {
            "value": method, "choices": _kind_names(WeightMethod.values)}, _line_of(node, "child_weights"))
        return
    method = str(method)
    out["child_weights"] = method

    def kid_line(i):
        return _line_of(raw_children, i)

    if method == WeightMethod.AHP:
        ahp = node.get("ahp")
        apath = _join(path, "ahp")
        if not isinstance(ahp, Mapping) or "matrix" not in ahp:
            ck.add(apath, _("AHP weights need the pairwise comparison matrix of the children: ahp: {matrix: [[1, 3], "
                            "[1/3, 1]]}."), _line_of(node, "ahp") if "ahp" in node else _line_of(node))
            return
        _check_keys(ck, ahp, apath, {"matrix", "lambda_max", "ci", "cr"})
        matrix = _ahp_matrix(ck, ahp.get("matrix"), len(kids), _join(apath, "matrix"), _line_of(ahp, "matrix"))
        if matrix is None:
            return
        labels = [texts.pick(k["name"]) or k["code"] for k in kids]
        try:
            result = ahp_evaluate(matrix, labels)
        except ValueError as exc:
            ck.add(_join(apath, "matrix"), str(exc), _line_of(ahp, "matrix"))
            return
        if not result["ok"]:
            ck.add(_join(apath, "matrix"), result["message"], _line_of(ahp, "matrix"))
            return
        for i, (kid, w) in enumerate(zip(kids, result["weights"])):
            if kid["weight"] is not None and abs(kid["weight"] - w) > WEIGHT_TOLERANCE:
                ck.add(f"{path}.children[{i}].weight",
                       _("The weight %(given)s disagrees with the AHP priority %(computed).4f of the matrix; "
                         "leave it out or correct it.") % {"given": _num(kid["weight"]), "computed": w},
                       kid_line(i))
            kid["weight"] = w
        out["ahp"] = {"matrix": result["matrix"], "order": [k["code"] for k in kids],
                      "lambda_max": result["lambda_max"], "ci": result["ci"], "cr": result["cr"]}
        return
    if node.get("ahp"):
        ck.add(_join(path, "ahp"), _("An AHP matrix is only used with child_weights: ahp."), _line_of(node, "ahp"))
    if method == WeightMethod.EQUAL:
        w = 1.0 / len(kids)
        for i, kid in enumerate(kids):
            if kid["weight"] is not None and abs(kid["weight"] - w) > WEIGHT_TOLERANCE:
                ck.add(f"{path}.children[{i}].weight",
                       _("With equal weights each of the %(n)d children weighs %(w).4f; leave the weight out or "
                         "use child_weights: manual.") % {"n": len(kids), "w": w}, kid_line(i))
            kid["weight"] = w
        return
    # manual or entropy: every child has a weight, together 1.
    missing = [i for i, w in enumerate(given) if w is None]
    for i in missing:
        ck.add(f"{path}.children[{i}].weight",
               _("Give every child a weight (the weights of the children of %(parent)s sum to 1).") % {
                   "parent": out["code"]}, kid_line(i))
    if missing:
        return
    total = sum(given)
    if total <= 0:
        ck.add(_join(path, "children"), _("At least one weight must be more than 0."), _line_of(node, "children"))
        return
    if abs(total - 1) > WEIGHT_TOLERANCE:
        ck.add(_join(path, "children"),
               _("The weights of the children of %(parent)s sum to %(total)s; they must sum to 1 (for example "
                 "0.6 and 0.4).") % {"parent": out["code"], "total": _num(total)}, _line_of(node, "children"))
        return
    for kid in kids:
        kid["weight"] = kid["weight"] / total
    if method == WeightMethod.ENTROPY:
        basis = node.get("entropy")
        if basis is not None and not isinstance(basis, Mapping):
            ck.add(_join(path, "entropy"), _("The entropy basis is a mapping (wave, respondents)."),
                   _line_of(node, "entropy"))
        elif basis:
            out["entropy"] = {k: _plain(v) for k, v in basis.items() if k in ("wave", "respondents")}
    elif node.get("entropy"):
        ck.add(_join(path, "entropy"), _("The entropy basis is only used with child_weights: entropy."),
               _line_of(node, "entropy"))


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _num(x: float) -> str:
    return f"{x:.6g}"


def _judgement(value) -> float | None:
    """A judgement of the 1–9 scale: a number, or a fraction written "1/3"."""
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            f = Fraction(value.replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            return None
        return float(f)
    return None


def _ahp_matrix(ck: _Checker, raw, n: int, path: str, line) -> list[list[float]] | None:
    if not isinstance(raw, list) or len(raw) != n or any(not isinstance(r, list) or len(r) != n for r in raw):
        ck.add(path, _("The matrix compares the %(n)d children with each other: %(n)d rows of %(n)d judgements, "
                       "in the order of the children.") % {"n": n}, line)
        return None
    matrix = []
    ok = True
    for i, row in enumerate(raw):
        values = []
        for j, cell in enumerate(row):
            v = _judgement(cell)
            if v is None or v <= 0:
                ck.add(f"{path}[{i}][{j}]", _("A judgement is a positive number or a fraction such as 1/3."),
                       _line_of(raw, i))
                ok = False
                v = 1.0
            values.append(v)
        matrix.append(values)
    return matrix if ok else None


def _constructs(ck: _Checker, raw, line) -> list[dict]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        ck.add("constructs", _("The constructs are a list."), line)
        return []
    out, seen = [], set()
    for i, item in enumerate(raw):
        path = f"constructs[{i}]"
        if not isinstance(item, Mapping):
            ck.add(path, _("A construct is a mapping with a code and a name."), _line_of(raw, i))
            continue
        _check_keys(ck, item, path, {"code", "name", "mode"})
        code = _code(ck, item, path, _("construct"))
        if code in seen:
            ck.add(_join(path, "code"), _("The construct code %(code)s is used twice.") % {"code": code},
                   _line_of(item, "code"))
        seen.add(code)
        mode = item.get("mode", ConstructMode.REFLECTIVE)
        if mode not in ConstructMode.values:
            ck.add(_join(path, "mode"), _("The measurement mode is A (reflective) or B (formative)."),
                   _line_of(item, "mode"))
        out.append({"code": code, "name": _text(ck, item, "name", _join(path, "name"), required=True), "mode": mode})
    return out


PATH_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.\-]*)\s*->\s*([A-Za-z][A-Za-z0-9_.\-]*)\s*$")


def _paths(ck: _Checker, raw, constructs: set[str], line) -> list[list[str]]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        ck.add("paths", _("The paths are a list such as [\"EXP -> SAT\", \"SAT -> LOY\"]."), line)
        return []
    out: list[list[str]] = []
    for i, item in enumerate(raw):
        path = f"paths[{i}]"
        il = _line_of(raw, i)
        if isinstance(item, str) and PATH_RE.match(item):
            source, target = PATH_RE.match(item).groups()
        elif isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item):
            source, target = item
        elif isinstance(item, Mapping) and set(item) == {"from", "to"}:
            source, target = str(item["from"]), str(item["to"])
        else:
            ck.add(path, _("Write a path as \"FROM -> TO\" with the codes of two constructs."), il)
            continue
        bad = False
        for code in (source, target):
            if code not in constructs:
                ck.add(path, _("%(code)s is not a construct of this survey.") % {"code": code}, il)
                bad = True
        if bad:
            continue
        if source == target:
            ck.add(path, _("A construct cannot drive itself."), il)
            continue
        if [source, target] in out:
            ck.add(path, _("The path %(source)s -> %(target)s is given twice.") % {"source": source, "target": target},
                   il)
            continue
        out.append([source, target])
    cycle = find_cycle(out)
    if cycle:
        ck.add("paths", _("The paths go round in a circle (%(cycle)s); a path model must not loop back.") % {
            "cycle": " -> ".join(cycle)}, line)
    return out


def find_cycle(paths) -> list[str] | None:
    """A loop in the directed graph of ``paths`` ([source, target] pairs) as the
    list of codes around it (first code repeated at the end), or None."""
    graph: dict[str, list[str]] = {}
    for s, t in paths:
        graph.setdefault(s, []).append(t)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in list(graph):
        if not state.get(node):
            found = visit(node)
            if found:
                return found
    return None


QUESTION_FIELDS = {"code", "kind", "text", "help", "required", "options", "show_if", "indicator", "construct",
                   "reverse"}


def _questions(ck: _Checker, raw, leaves: set, indicators: set, constructs: set, line, *,
               earlier: dict[str, dict] | None = None, prefix: str = "questions") -> list[dict]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list):
        ck.add("questions", _("The questions are a list."), line)
        return []
    out: list[dict] = []
    by_code: dict[str, dict] = dict(earlier or {})
    for i, item in enumerate(raw):
        path = f"{prefix}[{i}]" if prefix else ""
        if not isinstance(item, Mapping):
            ck.add(path, _("A question is a mapping with a code, a kind and a text."), _line_of(raw, i))
            continue
        _check_keys(ck, item, path, QUESTION_FIELDS)
        code = _code(ck, item, path, _("question"))
        if code and code in by_code:
            ck.add(_join(path, "code"), _("The question code %(code)s is used twice.") % {"code": code},
                   _line_of(item, "code"))
        kind = item.get("kind")
        if kind not in QuestionKind.values:
            ck.add(_join(path, "kind"), _("Unknown question kind %(value)r; choose one of: %(choices)s.") % {
                "value": kind, "choices": _kind_names(QuestionKind.values)},
                _line_of(item, "kind") if "kind" in item else _line_of(item))
            kind = None
        q: dict[str, Any] = {
            "code": code, "kind": kind or "",
            "text": _text(ck, item, "text", _join(path, "text"), required=True),
            "help": _text(ck, item, "help", _join(path, "help"), required=False),
        }
        required = item.get("required", True)
        if not isinstance(required, bool):
            ck.add(_join(path, "required"), _("Give true or false."), _line_of(item, "required"))
            required = True
        q["required"] = required
        reverse = item.get("reverse", False)
        if not isinstance(reverse, bool):
            ck.add(_join(path, "reverse"), _("Give true or false."), _line_of(item, "reverse"))
            reverse = False
        if reverse and kind and kind not in SCALES:
            ck.add(_join(path, "reverse"), _("Only scored questions (likert5, nps, scale10) can be reverse scored."),
                   _line_of(item, "reverse"))
        q["reverse"] = reverse
        q["options"] = _options(ck, item, path, kind)
        for key, known, message in (
            ("indicator", indicators, _("%(code)s is not an indicator of this survey.")),
            ("construct", constructs, _("%(code)s is not a construct of this survey.")),
        ):
            value = item.get(key)
            if value in (None, ""):
                q[key] = ""
                continue
            value = str(value)
            kl = _line_of(item, key)
            if value not in known:
                ck.add(_join(path, key), message % {"code": value}, kl)
            elif key == "indicator" and value not in leaves:
                ck.add(_join(path, key), _("%(code)s has children; a question measures an indicator at the bottom of "
                                           "the hierarchy.") % {"code": value}, kl)
            if kind and kind not in SCALES:
                ck.add(_join(path, key), _("Only scored questions (likert5, nps, scale10) measure an indicator or a "
                                           "construct."), kl)
            q[key] = value
        q["show_if"] = _condition(ck, item, path, by_code, code)
        out.append(q)
        if code:
            by_code[code] = q
    return out


def check_question(item: Mapping, *, earlier: dict[str, dict], leaves: set[str], indicators: set[str],
                   constructs: set[str]) -> tuple[dict, list[Problem]]:
    """Validate one question as the file would (``item`` in the file's shape:
    code, kind, text, help, options, show_if, indicator, construct, required,
    reverse); ``earlier`` maps the codes of the questions before it to their
    ``{"kind", "options"}``. Returns the normalised question and the problems,
    whose paths are the question's own field names."""
    ck = _Checker()
    out = _questions(ck, [item], leaves, indicators, constructs, None, earlier=earlier, prefix="")
    return (out[0] if out else {}), ck.problems


def _options(ck: _Checker, item, path: str, kind) -> list[dict]:
    raw = item.get("options")
    opath = _join(path, "options")
    if kind not in CHOICE_KINDS:
        if raw:
            ck.add(opath, _("Only single and multiple choice questions have options."), _line_of(item, "options"))
        return []
    if not isinstance(raw, list) or len(raw) < 2:
        ck.add(opath, _("A choice question needs at least two options."),
               _line_of(item, "options") if "options" in item else _line_of(item))
        return []
    out, seen = [], set()
    for i, opt in enumerate(raw):
        p = f"{opath}[{i}]"
        if not isinstance(opt, Mapping):
            ck.add(p, _("An option is a mapping with a value and a label."), _line_of(raw, i))
            continue
        _check_keys(ck, opt, p, {"value", "label"})
        value = opt.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _num(value)
        if not isinstance(value, str) or not CODE_RE.match(value) and not re.match(r"^[0-9][A-Za-z0-9_.\-]{0,39}$",
                                                                                     value):
            ck.add(_join(p, "value"), _("An option's value is a short code of letters, digits, _ . or - "
                                        "(what is stored as the answer)."),
                   _line_of(opt, "value") if "value" in opt else _line_of(opt))
            value = ""
        elif value in seen:
            ck.add(_join(p, "value"), _("The option value %(value)s is used twice.") % {"value": value},
                   _line_of(opt, "value"))
        seen.add(value)
        out.append({"value": value, "label": _text(ck, opt, "label", _join(p, "label"), required=True)})
    return out


def _condition(ck: _Checker, item, path: str, earlier: dict, own_code: str) -> dict:
    raw = item.get("show_if")
    cpath = _join(path, "show_if")
    if raw in (None, {}):
        return {}
    line = _line_of(item, "show_if")
    if not isinstance(raw, Mapping):
        ck.add(cpath, _("A condition is {question: CODE, op: \"<=\", value: 6}."), line)
        return {}
    _check_keys(ck, raw, cpath, {"question", "op", "value"})
    message = condition_problem(raw, earlier, own_code)
    if message:
        ck.add(cpath, message, line)
        return {}
    return normalise_condition(raw, earlier[str(raw["question"])]["kind"])


def condition_problem(condition: Mapping, earlier: dict[str, Mapping], own_code: str = "") -> str | None:
    """Why ``condition`` cannot be used, or None. ``earlier`` maps the codes of
    the questions before this one to their ``{"kind", "options"}``."""
    ref = condition.get("question")
    ref = str(ref) if ref is not None else ""
    if not ref:
        return _("Name the earlier question the condition looks at.")
    if ref == own_code:
        return _("A question cannot depend on its own answer.")
    if ref not in earlier:
        return _("%(code)s is not a question before this one; a condition can only look at earlier answers.") % {
            "code": ref}
    kind = earlier[ref].get("kind")
    op = condition.get("op")
    if op not in OPS:
        return _("Unknown comparison %(op)r; use one of: %(ops)s.") % {"op": op, "ops": ", ".join(OPS)}
    if op in PRESENCE_OPS:
        return None
    value = condition.get("value")
    options = {o["value"] for o in earlier[ref].get("options") or [] if isinstance(o, Mapping)}
    if kind in SCALES:
        lo, hi = SCALES[kind]
        values = value if op in LIST_OPS else [value]
        if op in LIST_OPS and (not isinstance(value, list) or not value):
            return _("Give a list of answers for %(op)s.") % {"op": op}
        for v in values:
            if not _is_number(v) or not lo <= v <= hi:
                return _("%(code)s is answered %(lo)d–%(hi)d; compare it with a number in that range.") % {
                    "code": ref, "lo": lo, "hi": hi}
        return None
    if kind == QuestionKind.SINGLE:
        if op in ("=", "!="):
            values = [value]
        elif op in LIST_OPS:
            if not isinstance(value, list) or not value:
                return _("Give a list of answers for %(op)s.") % {"op": op}
            values = value
        else:
            return _("A single choice is compared with =, !=, in or not in.")
    elif kind == QuestionKind.MULTIPLE:
        if op not in LIST_OPS:
            return _("A multiple choice is compared with in (any of these chosen) or not in (none of them).")
        if not isinstance(value, list) or not value:
            return _("Give a list of answers for %(op)s.") % {"op": op}
        values = value
    else:
        return _("A free-text answer can only be tested for being answered or not.")
    for v in values:
        if str(v) not in options:
            return _("%(value)s is not an option of %(code)s.") % {"value": v, "code": ref}
    return None


def normalise_condition(condition: Mapping, kind: str) -> dict:
    op = condition["op"]
    out = {"question": str(condition["question"]), "op": op}
    if op in PRESENCE_OPS:
        return out
    value = condition.get("value")
    if kind in SCALES:
        out["value"] = [_int_if_whole(v) for v in value] if op in LIST_OPS else _int_if_whole(value)
    else:
        out["value"] = [str(v) for v in value] if op in LIST_OPS else str(value)
    return out


def _int_if_whole(v):
    return int(v) if float(v).is_integer() else float(v)


# --------------------------------------------------------------------------
# AHP for the designer, the service and the loader
# --------------------------------------------------------------------------

SAATY_CHOICES: tuple[tuple[str, float], ...] = tuple(
    [(str(k), float(k)) for k in range(9, 1, -1)] + [("1", 1.0)] + [(f"1/{k}", 1.0 / k) for k in range(2, 10)]
)


def judgement_label(value: float) -> str:
    """``3`` → "3", ``0.3333`` → "1/3"; other values with two decimals."""
    if value >= 1:
        return f"{value:g}" if abs(value - round(value)) < 1e-9 else f"{value:.2f}"
    inv = 1 / value
    return f"1/{round(inv)}" if abs(inv - round(inv)) < 1e-6 else f"{value:.3f}"


def ahp_evaluate(matrix, labels: list[str]) -> dict:
    """Weights and consistency of a pairwise comparison matrix, for display
    and for saving: ``{"ok", "weights", "lambda_max", "ci", "ri", "cr",
    "matrix", "message", "worst": {"i", "j", "a", "b", "value", "implied",
    "suggested"}}``. ``ok`` is False when CR ≥ 0.10 (Saaty's rule), with a
    message naming the most inconsistent judgement. ``ValueError`` (translated)
    for a matrix that is not square, positive and reciprocal."""
    n = len(labels)
    try:
        model = AHP(labels=labels, max_cr=None).fit(matrix)
    except ValueError as exc:
        raise ValueError(_("The comparisons are not a valid reciprocal matrix: %(error)s") % {"error": exc}) from None
    weights = [float(w) for w in model.weights_]
    result = {
        "ok": True, "weights": weights, "lambda_max": float(model.lambda_max_), "ci": float(model.ci_),
        "ri": float(model.ri_), "cr": float(model.cr_), "matrix": [[float(x) for x in row] for row in matrix],
        "message": "", "worst": None, "n": n,
    }
    if model.worst_judgement_ is not None and n > 2:
        i, j, value, implied = model.worst_judgement_
        suggested = InconsistentJudgementsError(cr=0, limit=0, i=i, j=j, value=value, consistent=implied).suggested
        result["worst"] = {"i": i, "j": j, "a": labels[i], "b": labels[j], "value": judgement_label(value),
                           "implied": implied, "suggested": judgement_label(suggested)}
    if model.cr_ >= CR_LIMIT:
        w = result["worst"]
        result["ok"] = False
        result["message"] = _(
            "The judgements are not consistent enough: CR = %(cr).3f, and it must be below %(limit).2f. The most "
            "inconsistent judgement is %(a)s compared with %(b)s: you entered %(value)s, but your other judgements "
            "imply about %(implied).2f. Consider %(suggested)s on the 1–9 scale."
        ) % {"cr": model.cr_, "limit": CR_LIMIT, "a": w["a"], "b": w["b"], "value": w["value"],
             "implied": w["implied"], "suggested": w["suggested"]}
    return result


# --------------------------------------------------------------------------
# Scoring and conditional display
# --------------------------------------------------------------------------

def question_score(kind: str, number, *, reverse: bool = False, likert_scores: Mapping | None = None) -> float | None:
    """An answer on 0–100 (None when unanswered or not scored):

    * likert5: the five-level scores of the weighted-average method, level 5
      满意 100 … level 1 不满意 20 (DOMAIN.md §5), or the survey's own
      ``likert_scores``;
    * nps (0–10): 10·x; scale10 (1–10, ACSI items): (x − 1)/9·100 — the ACSI
      rescaling (Fornell et al. 1996), :mod:`kehu.analytics.likert`.

    ``reverse`` turns the scale round first (level k → 6 − k, x → 10 − x,
    x → 11 − x). ``ValueError`` for an answer outside the scale."""
    if number is None or kind not in SCALES:
        return None
    x = float(number)
    if math.isnan(x):
        return None
    lo, hi = SCALES[kind]
    if not lo <= x <= hi:
        raise ValueError(f"answer {number!r} is outside the {lo}–{hi} scale of a {kind} question")
    if reverse:
        x = lo + hi - x
    if kind == QuestionKind.LIKERT5:
        if not x.is_integer():
            raise ValueError(f"five-level answers are whole levels 1–5, got {number!r}")
        scores = likert_scores or DEFAULT_LIKERT_SCORES
        return float(scores[str(int(x))])
    return (x - lo) / (hi - lo) * 100.0


def _answered(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set)):
        return bool(value)
    if isinstance(value, float) and math.isnan(value):
        return False
    return True


def condition_holds(condition: Mapping | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question with ``condition`` is shown, given ``answers``
    (question code → a number for scored items, an option value for single
    choice, a list of option values for multiple choice, a string for text;
    missing or None when not answered). No condition: always shown. A
    comparison with an unanswered question is false (``not in`` and ``!=``
    too: the question stays hidden until the answer it depends on is given),
    except ``not answered``."""
    if not condition:
        return True
    value = answers.get(condition.get("question"))
    op = condition.get("op")
    if op == "answered":
        return _answered(value)
    if op == "not answered":
        return not _answered(value)
    if not _answered(value):
        return False
    target = condition.get("value")
    if isinstance(value, (list, tuple, set)):  # multiple choice
        chosen = {str(v) for v in value}
        wanted = {str(v) for v in (target or [])}
        return bool(chosen & wanted) if op == "in" else not (chosen & wanted) if op == "not in" else False
    if op in LIST_OPS:
        members = target or []
        try:
            hit = any(_same(value, t) for t in members)
        except (TypeError, ValueError):
            return False
        return hit if op == "in" else not hit
    try:
        if op == "=":
            return _same(value, target)
        if op == "!=":
            return not _same(value, target)
        a, b = float(value), float(target)
    except (TypeError, ValueError):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}.get(op, False)


def _same(a, b) -> bool:
    if _is_number(b) or (isinstance(a, (int, float)) and not isinstance(a, bool)):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def visible_questions(questions, answers: Mapping[str, Any]) -> list:
    """The questions (in order) that are shown given ``answers``: a question
    is shown when its condition holds on the answers of the questions shown
    before it (an answer to a hidden question does not count). Works on
    :class:`~kehu.surveys.models.Question` objects and on definition dicts."""
    shown: list = []
    effective: dict[str, Any] = {}
    for q in questions:
        code = q["code"] if isinstance(q, Mapping) else q.code
        condition = (q.get("show_if") or q.get("condition")) if isinstance(q, Mapping) else q.condition
        if condition_holds(condition, effective):
            shown.append(q)
            if code in answers:
                effective[code] = answers[code]
    return shown


def describe_condition(condition: Mapping | None, questions_by_code: Mapping | None = None,
                       language: str | None = None) -> str:
    """The condition in words, e.g. "Shown when Q8 is at most 6" (option
    values shown as their labels when ``questions_by_code`` gives the options)."""
    if not condition:
        return ""
    ref = condition.get("question", "")
    op = condition.get("op")
    value = condition.get("value")
    labels: dict[str, str] = {}
    q = (questions_by_code or {}).get(ref)
    if q is not None:
        options = q.get("options") if isinstance(q, Mapping) else q.options
        labels = {o["value"]: texts.pick(o.get("label"), language) for o in options or []}

    def show(v):
        return labels.get(str(v), str(v))

    if op == "answered":
        return _("Shown when %(code)s is answered") % {"code": ref}
    if op == "not answered":
        return _("Shown when %(code)s is not answered") % {"code": ref}
    if op in LIST_OPS:
        listed = ", ".join(show(v) for v in value or [])
        if op == "in":
            return _("Shown when %(code)s is one of: %(values)s") % {"code": ref, "values": listed}
        return _("Shown when %(code)s is none of: %(values)s") % {"code": ref, "values": listed}
    words = {
        "=": _("Shown when %(code)s is %(value)s"),
        "!=": _("Shown when %(code)s is not %(value)s"),
        "<": _("Shown when %(code)s is less than %(value)s"),
        "<=": _("Shown when %(code)s is at most %(value)s"),
        ">": _("Shown when %(code)s is more than %(value)s"),
        ">=": _("Shown when %(code)s is at least %(value)s"),
    }
    return words.get(op, "%(code)s %(value)s") % {"code": ref, "value": show(value)}


# --------------------------------------------------------------------------
# Writing a definition
# --------------------------------------------------------------------------

def compact(definition: dict) -> dict:
    """The definition without fields at their defaults (what :func:`dump` writes)."""
    out: dict[str, Any] = {"kehu_survey": FORMAT_VERSION, "code": definition["code"], "kind": definition["kind"]}
    for key in ("title", "description", "intro", "thanks"):
        if definition.get(key):
            out[key] = dict(definition[key])
    if definition.get("template"):
        out["template"] = definition["template"]
    settings = {k: v for k, v in (definition.get("settings") or {}).items() if SETTINGS_DEFAULTS.get(k) != v}
    if settings:
        out["settings"] = settings
    if definition.get("indicators"):
        out["indicators"] = _compact_indicator(definition["indicators"], root=True)
    if definition.get("constructs"):
        out["constructs"] = [{"code": c["code"], "name": dict(c["name"]),
                              **({"mode": c["mode"]} if c.get("mode", "A") != "A" else {})}
                             for c in definition["constructs"]]
    if definition.get("paths"):
        out["paths"] = [f"{s} -> {t}" for s, t in definition["paths"]]
    model = {k: v for k, v in (definition.get("model") or {}).items() if MODEL_DEFAULTS.get(k) != v}
    if model:
        out["model"] = model
    if definition.get("questions"):
        out["questions"] = [_compact_question(q) for q in definition["questions"]]
    return out


def _compact_indicator(node: dict, root: bool = False, computed: bool = False) -> dict:
    """``computed``: the parent's method sets this weight (equal, AHP), so the file leaves it out."""
    out: dict[str, Any] = {"code": node["code"], "name": dict(node["name"])}
    if not root and not computed and node.get("weight") is not None:
        out["weight"] = _round_weight(node["weight"])
    if node.get("children"):
        out["child_weights"] = node["child_weights"]
        if node["child_weights"] == WeightMethod.AHP and node.get("ahp"):
            out["ahp"] = {"matrix": [[_matrix_cell(x) for x in row] for row in node["ahp"]["matrix"]]}
        if node["child_weights"] == WeightMethod.ENTROPY and node.get("entropy"):
            out["entropy"] = dict(node["entropy"])
        computed = node["child_weights"] in (WeightMethod.EQUAL, WeightMethod.AHP)
        out["children"] = [_compact_indicator(c, computed=computed) for c in node["children"]]
    return out


def _round_weight(w: float) -> float:
    # 12 significant digits: exact enough to give the same weights back, short enough to read.
    return float(f"{w:.12g}")


def _matrix_cell(x: float):
    if x >= 1:
        return int(x) if abs(x - round(x)) < 1e-9 else float(f"{x:.12g}")
    inv = 1 / x
    return f"1/{round(inv)}" if abs(inv - round(inv)) < 1e-9 else float(f"{x:.12g}")


def _compact_question(q: dict) -> dict:
    out: dict[str, Any] = {"code": q["code"], "kind": q["kind"], "text": dict(q["text"])}
    if q.get("help"):
        out["help"] = dict(q["help"])
    if q.get("options"):
        out["options"] = [{"value": o["value"], "label": dict(o["label"])} for o in q["options"]]
    for key in ("indicator", "construct"):
        if q.get(key):
            out[key] = q[key]
    if not q.get("required", True):
        out["required"] = False
    if q.get("reverse"):
        out["reverse"] = True
    if q.get("show_if"):
        out["show_if"] = dict(q["show_if"])
    return out


class _Dumper(yaml.SafeDumper):
    pass


class _Flow(dict):
    """A mapping written on one line: ``{zh-hans: 供气压力, en: Gas pressure}``."""


class _FlowList(list):
    """A list written on one line: a row of the AHP matrix."""


def _str_representer(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(_Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data,
                                                                        flow_style=True))

SHORT_LINE = 70


def _for_yaml(value, key=None):
    """Mark the short parts of a definition to be written on one line each."""
    if isinstance(value, dict):
        inner = {k: _for_yaml(v, k) for k, v in value.items()}
        scalars = all(not isinstance(v, (dict, list)) or isinstance(v, (_Flow, _FlowList)) for v in inner.values())
        if scalars and len(json.dumps(value, ensure_ascii=False)) <= SHORT_LINE:
            return _Flow(inner)
        return inner
    if isinstance(value, list):
        items = [_for_yaml(v) for v in value]
        if all(not isinstance(v, (dict, list)) for v in value) and (key != "paths"):
            return _FlowList(items)
        return items
    return value


def dump(definition: dict, fmt: str = "yaml") -> str:
    """The definition as a YAML or JSON document (defaults left out)."""
    data = compact(definition)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: yaml or json")
    header = "# Kehu survey definition (kehu survey load FILE). Format: docs/surveys.md\n"
    return header + yaml.dump(_for_yaml(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110,
                              default_flow_style=False)


def format_for(filename: str) -> str:
    return "json" if filename.lower().endswith(".json") else "yaml"


# --------------------------------------------------------------------------
# Shipped templates
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class LibraryTemplate:
    """A survey shipped with Kehu (``kehu/surveys/library/NAME.yaml``)."""

    name: str
    path: Path
    definition: dict

    @property
    def title(self) -> dict:
        return self.definition["title"]

    @property
    def description(self) -> dict:
        return self.definition["description"]

    @property
    def kind(self) -> str:
        return self.definition["kind"]

    @property
    def question_count(self) -> int:
        return len(self.definition["questions"])

    @property
    def has_indicators(self) -> bool:
        return bool(self.definition.get("indicators"))

    @property
    def has_model(self) -> bool:
        return bool(self.definition.get("paths"))


#: The order in which the template picker lists them.
LIBRARY_ORDER = ("natural-gas", "acsi", "ecsi", "servqual", "nps", "complaint-return-visit", "employee",
                 "partner")


@lru_cache(maxsize=1)
def _library() -> dict[str, LibraryTemplate]:
    found = {}
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        definition = load_file(path)
        found[path.stem] = LibraryTemplate(name=path.stem, path=path, definition=definition)
    return found


def library_templates() -> list[LibraryTemplate]:
    """Every shipped template, in the picker's order."""
    lib = _library()
    ordered = [lib[name] for name in LIBRARY_ORDER if name in lib]
    return ordered + [t for name, t in lib.items() if name not in LIBRARY_ORDER]


def library_template(name: str) -> LibraryTemplate | None:
    return _library().get(name)
