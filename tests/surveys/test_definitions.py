"""Survey definition files: strict validation naming the line and field,
round trips, scoring and conditional display."""

import textwrap

import pytest

from kehu.surveys import definitions as defs
from kehu.surveys.selectors import survey_definition
from kehu.surveys.services.definitions import (
    survey_create_from_definition, survey_create_from_template, survey_replace_definition,
)

GOOD = textwrap.dedent("""\
    kehu_survey: 1
    code: shop
    title: {zh-hans: 门店满意度, en: Shop satisfaction}
    indicators:
      code: csi
      name: {zh-hans: 满意度指数, en: Satisfaction index}
      child_weights: ahp
      ahp:
        matrix:
          - [1, 3]
          - [1/3, 1]
      children:
        - {code: staff, name: {zh-hans: 员工, en: Staff}}
        - {code: goods, name: {zh-hans: 商品, en: Goods}}
    questions:
      - {code: Q1, kind: likert5, indicator: staff, text: {zh-hans: 员工服务？, en: "Staff?"}}
      - {code: Q2, kind: likert5, indicator: goods, text: {zh-hans: 商品质量？, en: "Goods?"}}
      - code: Q3
        kind: multiple
        text: {zh-hans: 您买了什么？, en: "What did you buy?"}
        options:
          - {value: food, label: {zh-hans: 食品, en: Food}}
          - {value: drink, label: {zh-hans: 饮料, en: Drinks}}
      - code: Q4
        kind: text
        required: false
        show_if: {question: Q3, op: in, value: [drink]}
        text: {zh-hans: 哪种饮料？, en: "Which drink?"}
    constructs:
      - {code: Q, name: {zh-hans: 质量, en: Quality}}
      - {code: S, name: {zh-hans: 满意, en: Satisfaction}, mode: B}
    paths: [Q -> S]
""")


def problems(text, filename="survey.yaml"):
    with pytest.raises(defs.DefinitionError) as err:
        defs.load_text(text, filename=filename)
    return err.value.problems


def where(text, filename="survey.yaml"):
    return {(p.line, p.path) for p in problems(text, filename)}


def test_a_good_file_loads_with_ahp_weights():
    d = defs.load_text(GOOD)
    root = d["indicators"]
    assert root["child_weights"] == "ahp"
    assert [c["weight"] for c in root["children"]] == pytest.approx([0.75, 0.25])
    assert root["ahp"]["cr"] == 0 and root["ahp"]["matrix"][1][0] == pytest.approx(1 / 3)
    assert d["questions"][3]["show_if"] == {"question": "Q3", "op": "in", "value": ["drink"]}
    assert d["paths"] == [["Q", "S"]] and d["constructs"][1]["mode"] == "B"


def test_syntax_errors_name_the_line():
    (p,) = problems("code: x\ntitle: [unclosed\n")
    assert p.line == 3 and "not valid YAML" in p.message
    (p,) = problems('{"code": "x",\n  "title": }', filename="s.json")
    assert p.line == 2 and "not valid JSON" in p.message
    (p,) = problems("code: a\ncode: b\n")
    assert p.line == 2 and "twice" in p.message
    assert "empty" in problems("  \n")[0].message
    assert "UTF-8" in problems("标题".encode("gbk"))[0].message


def test_field_errors_name_line_and_field():
    bad = GOOD.replace("kind: likert5, indicator: goods", "kind: likert7, indicator: goods")
    assert (17, "questions[1].kind") in where(bad)
    bad = GOOD.replace("indicator: staff", "indicator: nowhere")
    assert (16, "questions[0].indicator") in where(bad)
    bad = GOOD.replace("value: [drink]", "value: [wine]")
    [p] = problems(bad)
    assert (p.line, p.path) == (27, "questions[3].show_if") and "wine is not an option of Q3" in p.message
    bad = GOOD.replace("{question: Q3, op: in", "{question: Q9, op: in")
    assert "earlier" in problems(bad)[0].message
    bad = GOOD.replace("[1/3, 1]", "[1/3, 1, 2]")
    assert problems(bad)[0].path == "indicators.ahp.matrix"
    bad = GOOD.replace("paths: [Q -> S]", "paths: [Q -> S, S -> Q]")
    assert "circle" in problems(bad)[0].message
    bad = GOOD.replace('{zh-hans: 员工服务？, en: "Staff?"}', '{fr: Personnel}')
    assert (16, "questions[0].text") in where(bad)
    bad = GOOD.replace("mode: B", "mode: C")
    assert (31, "constructs[1].mode") in where(bad)
    bad = GOOD.replace("code: shop", "code: shop\ncolour: red")
    assert (3, "colour") in where(bad)


def test_weights_must_sum_to_one_and_levels_stop_at_four():
    text = textwrap.dedent("""\
        code: w
        title: {en: W}
        indicators:
          code: r
          name: {en: R}
          children:
            - {code: a, name: {en: A}, weight: 6}
            - {code: b, name: {en: B}, weight: 4}
    """)
    [p] = problems(text)
    assert p.path == "indicators.children" and p.line == 7 and "sum to 10" in p.message
    deep = textwrap.dedent("""\
        code: w
        title: {en: W}
        indicators:
          code: l1
          name: {en: L1}
          children:
            - code: l2
              name: {en: L2}
              children:
                - code: l3
                  name: {en: L3}
                  children:
                    - code: l4
                      name: {en: L4}
                      children: [{code: l5, name: {en: L5}}]
    """)
    assert any("at most 4 levels" in p.message and p.line == 15 for p in problems(deep))
    inconsistent = GOOD.replace("child_weights: ahp", "child_weights: ahp").replace(
        "- {code: goods, name: {zh-hans: 商品, en: Goods}}",
        "- {code: goods, name: {zh-hans: 商品, en: Goods}}\n    - {code: place, name: {en: Place}}").replace(
        "- [1, 3]\n      - [1/3, 1]", "- [1, 9, 1/9]\n      - [1/9, 1, 9]\n      - [9, 1/9, 1]")
    [p] = problems(inconsistent)
    assert p.path == "indicators.ahp.matrix" and "most inconsistent judgement" in p.message


def test_every_problem_is_listed_not_just_the_first():
    bad = GOOD.replace("likert5, indicator: staff", "likert9, indicator: staff").replace("mode: B", "mode: Z")
    assert len(problems(bad)) == 2


def test_round_trip_through_the_database(org):
    survey = survey_create_from_definition(actor=org.users.admin, definition=defs.load_text(GOOD))
    exported = survey_definition(survey)
    for fmt in ("yaml", "json"):
        text = defs.dump(exported, fmt)
        again = survey_create_from_definition(actor=org.users.admin, definition=defs.load_text(
            text, filename=f"x.{fmt}"), code=f"shop-{fmt}")
        assert defs.dump(survey_definition(again)) == defs.dump(dict(exported, code=f"shop-{fmt}"))


def test_replacing_a_drafts_definition(org, gas):
    survey_replace_definition(actor=org.users.admin, survey=gas, definition=defs.load_text(GOOD))
    assert list(gas.questions.values_list("code", flat=True)) == ["Q1", "Q2", "Q3", "Q4"]
    assert gas.code == "gas" and gas.indicators.count() == 3


def test_moved_children_keep_their_ahp_judgements(org):
    from kehu.surveys.services.definitions import indicator_move

    survey = survey_create_from_definition(actor=org.users.admin, definition=defs.load_text(GOOD))
    goods = survey.indicators.get(code="goods")
    indicator_move(actor=org.users.admin, indicator=goods, offset=-1)
    root = survey_definition(survey)["indicators"]
    assert [c["code"] for c in root["children"]] == ["goods", "staff"]
    assert root["ahp"]["matrix"] == [[1, pytest.approx(1 / 3)], [3, 1]]
    assert defs.load_text(defs.dump(survey_definition(survey)))["indicators"]["children"][0]["weight"] == 0.25


@pytest.mark.parametrize("kind,answer,reverse,score", [
    ("likert5", 5, False, 100), ("likert5", 4, False, 80), ("likert5", 3, False, 60), ("likert5", 2, False, 40),
    ("likert5", 1, False, 20), ("likert5", 1, True, 100), ("nps", 7, False, 70), ("nps", 0, True, 100),
    ("scale10", 1, False, 0), ("scale10", 10, False, 100), ("scale10", 4, False, 100 / 3), ("text", 3, False, None),
])
def test_question_score(kind, answer, reverse, score):
    got = defs.question_score(kind, answer, reverse=reverse)
    assert got == (pytest.approx(score) if score is not None else None)


def test_question_score_refuses_answers_off_the_scale():
    with pytest.raises(ValueError):
        defs.question_score("likert5", 6)
    with pytest.raises(ValueError):
        defs.question_score("nps", 11)
    assert defs.question_score("likert5", 5, likert_scores={"5": 95, "4": 75, "3": 50, "2": 25, "1": 0}) == 95


def test_conditions():
    holds = defs.condition_holds
    assert holds({}, {})
    assert holds({"question": "N", "op": "<=", "value": 6}, {"N": 3})
    assert not holds({"question": "N", "op": "<=", "value": 6}, {"N": 9})
    assert not holds({"question": "N", "op": "<=", "value": 6}, {})  # not answered yet
    assert not holds({"question": "N", "op": "!=", "value": 6}, {})
    assert holds({"question": "N", "op": "in", "value": [7, 8]}, {"N": 8.0})
    assert holds({"question": "S", "op": "=", "value": "yes"}, {"S": "yes"})
    assert holds({"question": "M", "op": "in", "value": ["a", "b"]}, {"M": ["c", "b"]})
    assert holds({"question": "M", "op": "not in", "value": ["a"]}, {"M": ["c"]})
    assert holds({"question": "T", "op": "answered"}, {"T": "hi"})
    assert holds({"question": "T", "op": "not answered"}, {"T": "  "})


def test_visible_questions_follow_the_chain(org):
    survey = survey_create_from_template(actor=org.users.admin, template="nps", code="n")
    qs = list(survey.questions.order_by("position"))
    shown = [q.code for q in defs.visible_questions(qs, {"NPS": 3})]
    assert shown == ["NPS", "AREA", "FIX", "CONTACT"]
    assert [q.code for q in defs.visible_questions(qs, {"NPS": 10})] == ["NPS", "AREA", "VALUE", "CONTACT"]
    assert "at most 6" in defs.describe_condition(qs[2].condition)
