"""/associations and /customers/{id}/suggestions: cross-selling (交叉销售).

The association rules are company-wide counts over all orders and name no customer:
administrators, analysts and sales managers read them (403 for other roles). A
customer's suggestions follow the customer: whoever may see the customer reads them,
404 otherwise."""

from typing import Optional

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kehu.api.common import READ_ERRORS, ErrorOut
from kehu.api.pagination import CursorPagination, Tiered
from kehu.pagination import Tier
from kehu.sales.models import RuleLevel
from kehu.sales.xsell_selectors import association_rule_list, customer_suggestions

router = Router(tags=["cross-selling"])
customers_router = Router(tags=["cross-selling"])

RULE_SORTS = {f"{sign}{key}": (f"{sign}{key}", f"{sign}id") for key in ("lift", "confidence", "support")
              for sign in ("", "-")}


class RuleOut(Schema):
    id: int
    level: RuleLevel
    antecedent: list[int] = Field(description="Product ids (level product) or product-line ids (level line).")
    consequent: list[int]
    antecedent_label: str
    consequent_label: str
    count: int = Field(description="Orders holding every item of the rule.")
    support: float = Field(description="Share of all orders holding every item of the rule (0–1).")
    confidence: float = Field(description="Share of the orders holding the antecedent that hold the consequent too.")
    lift: float = Field(description="Confidence divided by the consequent's own support; above 1: bought together.")
    consequent_support: float
    run_id: int


class RuleFilterIn(Schema):
    level: Optional[RuleLevel] = None
    min_support: Optional[float] = Field(None, ge=0, le=1)
    min_confidence: Optional[float] = Field(None, ge=0, le=1)
    min_lift: Optional[float] = Field(None, ge=0)
    q: str = Field("", max_length=100, description="A product or product line in the rule.")
    sort: str = Field("-lift", pattern="^-?(lift|confidence|support)$",
                      description="lift, confidence or support; a leading - for largest first.")


class RuleEvidenceOut(Schema):
    antecedent_label: str
    confidence: float
    lift: float
    count: int


class SuggestionOut(Schema):
    product_line_id: int
    product_line: str
    share: Optional[float] = Field(description="Share of the peer group buying the line (0–1); null when only "
                                               "rules suggest it.")
    buyers: int
    group_size: int
    rules: list[RuleEvidenceOut] = Field(description="Line-level rules whose left side this customer buys.")


class SuggestionsOut(Schema):
    customer_id: int
    industry: str = Field(description="The peer group's industry (the customer's).")
    tier: str = Field(description="The peer group's value tier; empty when the group is the whole industry.")
    computed_at: Optional[str] = Field(description="When the rules and peer shares were computed; null: never.")
    owned_product_lines: list[int]
    suggestions: list[SuggestionOut]


@router.get("", response={200: list[RuleOut], **READ_ERRORS, 403: ErrorOut}, url_name="association-list",
            summary="The latest association rules (what is bought together), strongest lift first")
@paginate(CursorPagination)
def list_associations(request, filters: Query[RuleFilterIn]):
    qs = association_rule_list(viewer=request.auth, level=filters.level or "", min_support=filters.min_support,
                               min_confidence=filters.min_confidence, min_lift=filters.min_lift, q=filters.q)
    return Tiered(qs, [Tier(Q(), RULE_SORTS.get(filters.sort, RULE_SORTS["-lift"]))])


@customers_router.get("/{int:customer_id}/suggestions", response={200: SuggestionsOut, **READ_ERRORS},
                      url_name="customer-suggestions",
                      summary="Product lines this customer does not buy yet that similar customers buy")
def get_suggestions(request, customer_id: int):
    s = customer_suggestions(viewer=request.auth, customer_id=customer_id)
    return {
        "customer_id": s.customer.pk, "industry": s.industry, "tier": s.tier,
        "computed_at": s.run.finished_at.isoformat() if s.run and s.run.finished_at else None,
        "owned_product_lines": sorted(s.owned_ids),
        "suggestions": [{"product_line_id": i.line.pk, "product_line": i.line.name, "share": i.share,
                         "buyers": i.buyers, "group_size": i.group_size,
                         "rules": [vars(r) for r in i.rules]} for i in s.items],
    }
