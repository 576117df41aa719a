"""The documented spreadsheet columns, their aliases and how cell values are read.

Each import kind (customers, orders) has canonical headers — the ones the
export writes, so an exported file imports again unchanged — and aliases:
English variants (matched case-insensitively, ignoring spaces, ``_`` and
``-``) and the Chinese headers people type in Excel (客户编号, 下单日期, 金额 …).

Cell parsers raise :class:`CellError` with a message for the report; they
accept what Chinese spreadsheets contain: dates as ``2024-03-01``,
``2024/3/1``, ``2024年3月1日``, ``20240301`` or Excel date cells; amounts as
``1,234.50``, ``¥1,234.50`` or ``￥1234.5``; choices by code, English label or
Chinese name (个人/企业, 华东, 成交客户 …).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.customers.models import (
    CompanySize, Customer, CustomerType, Gender, Importance, LifecycleStage, LoyaltyLevel, PreferredChannel,
    Region, RelationshipLevel, Source, UsageRate, UserStatus,
)
from kehu.org.models import Partner
from kehu.sales.models import Order, OrderStatus
from kehu.validators import TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX


class CellError(ValueError):
    """A cell that cannot be read; ``str(exc)`` is the message for the report."""


@dataclass(frozen=True)
class Column:
    field: str                 # canonical header and the key in a parsed row
    kind: str = "text"         # text, date, decimal, money, int, choice, email, phone, tags, bool, user, partner
    required: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    choices: str | None = None  # name of a choice map in CHOICE_ALIASES
    help: object = ""           # lazy translated description for the help table
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    validators: tuple = ()      # the model field's format validators (phone, website, dates), run on each cell
    definition: object = None   # kind "custom": the custom field (kehu.customfields) the column fills


def header_key(text: object) -> str:
    """How headers are compared: lower case, no BOM, spaces, ``_``, ``-``, ``*`` or ``:``."""
    s = str(text or "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_\-*:：()（）]+", "", s)


def _max(fieldname: str, model=Customer) -> int | None:
    return model._meta.get_field(fieldname).max_length


def _formats(fieldname: str, model=Customer) -> tuple:
    """The model field's own validators (not the length, which ``max_length`` checks): the
    same rules as the forms and the API, from the one place they are written."""
    from django.core.validators import MaxLengthValidator

    return tuple(v for v in model._meta.get_field(fieldname).validators if not isinstance(v, MaxLengthValidator))


# The partner column's headers (the partner's code, kehu.org Partner), in both imports.
PARTNER_ALIASES = ("partner_code", "partner code", "channel partner", "渠道伙伴", "合作伙伴", "伙伴", "伙伴编码",
                   "伙伴代码", "渠道商", "代理商", "经销商")

CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("ref", required=True, max_length=_max("ref"),
           aliases=("code", "customer_ref", "customer code", "customer_code", "customer no", "客户编号", "客户代码", "客户编码", "编号"),
           help=gettext_lazy("Customer code, unique. An existing code updates that customer.")),
    Column("name", required=True, max_length=_max("name"),
           aliases=("customer name", "customer_name", "客户名称", "名称", "姓名", "客户", "公司名称"),
           help=gettext_lazy("Name of the person or organisation.")),
    Column("type", kind="choice", required=True, choices="kind",
           aliases=("kind", "customer type", "customer_type", "类型", "客户类型"),
           help=gettext_lazy("individual (个人) or organization (企业/公司/组织).")),
    Column("phone", kind="phone", max_length=_max("phone"), validators=_formats("phone"), aliases=("mobile", "tel", "telephone", "电话", "手机", "手机号", "联系电话"),
           help=gettext_lazy("Phone; spaces and dashes are removed.")),
    Column("email", kind="email", aliases=("e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"), help=gettext_lazy("Email address.")),
    Column("website", max_length=_max("website"), validators=_formats("website"), aliases=("web", "url", "网站", "网址"),
           help=gettext_lazy("http:// or https:// address, or just the host (www.example.com).")),
    Column("address", max_length=_max("address"), aliases=("地址", "详细地址")),
    Column("region", kind="choice", choices="region", aliases=("area", "地区", "大区", "区域"),
           help=gettext_lazy("东北, 华北, 华东, 华中, 华南, 西北, 西南 or overseas.")),
    Column("province", max_length=_max("province"), aliases=("省份", "省")),
    Column("city", max_length=_max("city"), aliases=("城市", "市")),
    Column("city_tier", kind="int", min_value=Decimal(1), max_value=Decimal(9), aliases=("tier", "城市等级", "城市级别")),
    Column("industry", max_length=_max("industry"), aliases=("行业", "所属行业")),
    Column("size", kind="choice", choices="size", aliases=("company size", "规模", "企业规模")),
    Column("annual_budget", kind="money", min_value=Decimal(0), aliases=("budget", "年采购预算", "采购预算")),
    Column("share_of_wallet", kind="decimal", min_value=Decimal(0), max_value=Decimal(100),
           aliases=("share of wallet", "钱包份额", "钱包占有率", "客户钱包占有率")),
    Column("strategic_importance", kind="choice", choices="importance", aliases=("importance", "重要性", "战略重要性")),
    Column("gender", kind="choice", choices="gender", aliases=("sex", "性别")),
    Column("age_band", max_length=_max("age_band"), aliases=("age", "年龄段", "年龄")),
    Column("occupation", max_length=_max("occupation"), aliases=("职业",)),
    Column("income_band", max_length=_max("income_band"), aliases=("income", "收入", "收入水平")),
    Column("education", max_length=_max("education"), aliases=("学历", "教育程度")),
    Column("preferred_channel", kind="choice", choices="preferred_channel",
           aliases=("channel", "偏好渠道", "首选渠道", "偏好联系方式")),
    Column("birthday", kind="date", validators=_formats("birthday"),
           aliases=("birth date", "date of birth", "生日", "出生日期"), help=gettext_lazy("Not in the future.")),
    Column("id_number", max_length=_max("id_number"), aliases=("id number", "id no", "身份证号", "身份证号码", "证件号码")),
    Column("lifestyle", max_length=_max("lifestyle"), aliases=("生活方式",)),
    Column("personality", max_length=_max("personality"), aliases=("个性", "性格")),
    Column("usage_rate", kind="choice", choices="usage_rate", aliases=("使用率", "使用频率")),
    Column("benefit_sought", max_length=_max("benefit_sought"), aliases=("追求利益", "利益诉求")),
    Column("user_status", kind="choice", choices="user_status", aliases=("用户状态", "使用者状态")),
    Column("loyalty_level", kind="choice", choices="loyalty_level", aliases=("loyalty", "忠诚度", "忠诚程度")),
    Column("attitude", max_length=_max("attitude"), aliases=("态度",)),
    Column("source", kind="choice", choices="source", aliases=("来源", "客户来源")),
    Column("lifecycle_stage", kind="choice", choices="stage", aliases=("stage", "lifecycle", "生命周期", "阶段", "客户阶段")),
    Column("relationship_level", kind="choice", choices="relationship", aliases=("relationship", "关系", "关系级别", "关系层次")),
    Column("owner", kind="user", aliases=("owner username", "负责人", "销售", "销售员", "业务员"),
           help=gettext_lazy("Username of the owner; default: the importing user.")),
    Column("partner", kind="partner", max_length=_max("code", Partner), aliases=PARTNER_ALIASES,
           help=gettext_lazy("Code of the partner (agent, distributor…) that serves the customer; empty: none.")),
    Column("tags", kind="tags", aliases=("tag", "标签"),
           help=gettext_lazy("Separated by commas or 、; at most 50 tags of at most 50 characters each.")),
    Column("preferences", kind="text", max_length=_max("preferences"), aliases=("偏好", "喜好")),
    Column("remarks", kind="text", max_length=_max("remarks"), aliases=("notes", "note", "comment", "备注", "说明")),
    Column("consent_marketing", kind="bool", aliases=("marketing consent", "同意营销", "营销许可")),
    Column("consent_data_processing", kind="bool", aliases=("data processing consent", "同意数据处理", "数据处理许可")),
    Column("opt_out_email", kind="bool", aliases=("email opt-out", "退订邮件", "拒收邮件")),
    Column("opt_out_sms", kind="bool", aliases=("sms opt-out", "退订短信", "拒收短信")),
)

ORDER_COLUMNS: tuple[Column, ...] = (
    Column("customer_ref", required=True, max_length=_max("ref"),
           aliases=("customer code", "customer", "客户编号", "客户代码", "客户编码", "编号"),
           help=gettext_lazy("Customer code. Unknown customers are created.")),
    Column("customer_name", max_length=_max("name"), aliases=("客户名称", "客户", "名称"),
           help=gettext_lazy("Used as the name when the customer is created.")),
    Column("order_ref", max_length=60, aliases=("order", "order no", "order number", "订单号", "订单编号", "单号"),
           help=gettext_lazy("Lines with the same order number form one order; empty: one order per line.")),
    Column("order_date", kind="date", required=True, aliases=("date", "下单日期", "订单日期", "日期", "交易日期")),
    Column("amount", kind="money", required=True, min_value=Decimal(0),
           aliases=("line amount", "total", "金额", "销售额", "销售金额", "总额"),
           help=gettext_lazy("Amount of the line; the order total is the sum of its lines.")),
    Column("product_ref", max_length=40, aliases=("product", "product code", "sku", "产品编号", "产品代码", "商品编号")),
    Column("description", max_length=200, aliases=("item", "产品名称", "商品名称", "摘要", "描述")),
    Column("serial_number", max_length=100, aliases=("serial", "serial no", "s/n", "heat number", "序列号", "序列号码",
                                                    "机身号", "出厂编号", "炉号", "炉批号"),
           help=gettext_lazy("Serial number of the item, or the heat number (炉号) of steel.")),
    Column("quantity", kind="decimal", min_value=Decimal("0.001"), aliases=("qty", "数量")),
    Column("cost", kind="money", min_value=Decimal(0), aliases=("line cost", "成本"),
           help=gettext_lazy("Cost of the line; default: quantity × the product's unit cost, else 0.")),
    Column("status", kind="choice", choices="order_status", aliases=("订单状态", "状态")),
    Column("currency", max_length=3, aliases=("币种", "货币")),
    Column("payment_due_on", kind="date", aliases=("payment due", "due date", "付款期限", "应收日期", "到期日")),
    Column("remarks", kind="text", max_length=_max("remarks", Order), aliases=("notes", "备注")),
    Column("partner", kind="partner", max_length=_max("code", Partner), aliases=PARTNER_ALIASES,
           help=gettext_lazy("Code of the partner the order is sold through; default: the customer's partner.")),
    Column("partner_margin_pct", kind="decimal", min_value=Decimal(0), max_value=Decimal(100),
           aliases=("partner margin", "partner margin pct", "伙伴折扣", "伙伴毛利率", "代理折扣", "渠道折扣"),
           help=gettext_lazy("The partner's margin in percent; default: the partner's. Needs a partner.")),
)

COLUMNS = {"customers": CUSTOMER_COLUMNS, "orders": ORDER_COLUMNS}


# -- choices -------------------------------------------------------------------

_EXTRA_CHOICES: dict[str, dict[str, str]] = {
    "kind": {"个人": "individual", "个人客户": "individual", "person": "individual", "个体": "individual",
             "企业": "organization", "公司": "organization", "组织": "organization", "机构": "organization",
             "单位": "organization", "企业客户": "organization", "集团客户": "organization",
             "organisation": "organization", "company": "organization", "business": "organization"},
    "region": {"东北地区": "northeast", "华北地区": "north", "华东地区": "east", "华中地区": "central",
               "华南地区": "south", "西北地区": "northwest", "西南地区": "southwest", "海外": "overseas",
               "国外": "overseas", "境外": "overseas"},
    "stage": {"储备": "reserve", "目标": "target", "潜在": "potential", "商机": "opportunity",
              "成交": "customer", "售后": "after_sales", "售后客户": "after_sales", "休眠": "dormant",
              "沉睡": "dormant", "风险": "at_risk", "有流失风险": "at_risk", "流失风险": "at_risk",
              "流失客户": "lost", "挽回客户": "won_back"},
    "source": {"电话": "phone", "网络": "web", "网站": "web", "展会": "exhibition", "推荐": "referral",
               "转介绍": "referral", "介绍": "referral", "拜访": "visit", "上门拜访": "visit", "其他": "other"},
    "gender": {"女": "female", "男": "male", "其他": "other", "f": "female", "m": "male"},
    "size": {"微型": "micro", "小型": "small", "中型": "medium", "大型": "large"},
    "importance": {"低": "low", "中": "medium", "一般": "medium", "高": "high", "重要": "high",
                   "关键": "key", "重点": "key", "大客户": "key"},
    "relationship": {"基本": "basic", "反应": "reactive", "可靠": "accountable", "主动": "proactive", "伙伴": "partnership"},
    "usage_rate": {"未使用": "none", "不使用": "none", "少量": "light", "轻度": "light", "轻度使用": "light",
                   "中度": "medium", "中度使用": "medium", "中等": "medium", "大量": "heavy", "重度": "heavy",
                   "重度使用": "heavy", "non-user": "none", "non user": "none"},
    "user_status": {"非用户": "non_user", "曾经用户": "ex_user", "前用户": "ex_user", "潜在用户": "potential",
                    "潜在": "potential", "首次用户": "first_time", "首次": "first_time", "新用户": "first_time",
                    "经常用户": "regular", "老用户": "regular", "常用": "regular", "first-time": "first_time",
                    "non-user": "non_user", "ex-user": "ex_user"},
    "loyalty_level": {"无": "none", "不忠诚": "none", "较低": "low", "中等": "medium", "一般": "medium",
                      "较高": "high", "强": "high", "绝对": "absolute", "坚定": "absolute"},
    "preferred_channel": {"电话": "phone", "短信": "sms", "微信": "wechat", "weixin": "wechat", "邮件": "email",
                          "电子邮件": "email", "邮箱": "email", "e-mail": "email", "上门": "visit", "拜访": "visit",
                          "面谈": "visit", "邮寄": "mail", "信件": "mail", "post": "mail", "网上": "online",
                          "线上": "online", "网络": "online"},
    "order_status": {"未完成": "open", "待确认": "open", "已确认": "confirmed", "确认": "confirmed",
                     "已交付": "delivered", "已发货": "delivered", "交付": "delivered", "已取消": "cancelled",
                     "取消": "cancelled", "canceled": "cancelled"},
}

_CHOICE_CLASSES = {
    "kind": CustomerType, "region": Region, "stage": LifecycleStage, "source": Source, "gender": Gender,
    "size": CompanySize, "importance": Importance, "relationship": RelationshipLevel, "order_status": OrderStatus,
    "usage_rate": UsageRate, "user_status": UserStatus, "loyalty_level": LoyaltyLevel,
    "preferred_channel": PreferredChannel,
}
_PAREN = re.compile(r"[（(]([^)）]+)[)）]")
_choice_cache: dict[str, dict[str, str]] = {}


def choice_map(name: str) -> dict[str, str]:
    """Every accepted spelling (lower case) → the stored value for one choice set."""
    if name in _choice_cache:
        return _choice_cache[name]
    mapping: dict[str, str] = {}
    for value, label in _CHOICE_CLASSES[name].choices:
        mapping[value.lower()] = value
        mapping[value.replace("_", " ").lower()] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                text = str(label)
            mapping.setdefault(text.strip().lower(), value)
            bare = _PAREN.sub("", text).strip().lower()
            if bare:
                mapping.setdefault(bare, value)
            for inner in _PAREN.findall(text):
                mapping.setdefault(inner.strip().lower(), value)
    for k, v in _EXTRA_CHOICES.get(name, {}).items():
        mapping[k.lower()] = v
    _choice_cache[name] = mapping
    return mapping


# -- cell parsers ---------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def cell_text(value: object) -> str:
    """A cell as text: numbers that are whole stay without ``.0`` (phone numbers in Excel)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An Excel serial date in a cell not formatted as a date, or 20240301 typed as a number.
        if isinstance(value, float) and not value.is_integer():
            value = int(value)
        n = int(value)
        if 19000101 <= n <= 99991231:
            value = str(n)
        elif 1 <= n < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=n)
    text = cell_text(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise CellError(_("'%(value)s' is not a date") % {"value": text})


_MONEY_JUNK = re.compile(r"[\s,，]|^[¥￥]|^RMB|^CNY|元$", re.IGNORECASE)


def parse_decimal(value: object, *, places: int | None = None) -> Decimal:
    if isinstance(value, bool):
        raise CellError(_("'%(value)s' is not a number") % {"value": value})
    if isinstance(value, (int, Decimal)):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        text = str(value).strip()
        cleaned = _MONEY_JUNK.sub("", text)
        cleaned = _MONEY_JUNK.sub("", cleaned)  # "¥ 1,234 元"
        negative = cleaned.startswith("(") and cleaned.endswith(")")
        if negative:
            cleaned = "-" + cleaned[1:-1]
        try:
            d = Decimal(cleaned)
        except (InvalidOperation, ValueError):
            raise CellError(_("'%(value)s' is not a number") % {"value": text}) from None
    if not d.is_finite():
        raise CellError(_("'%(value)s' is not a number") % {"value": value})
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return d


_TRUE = {"1", "true", "yes", "y", "t", "是", "同意", "有", "√", "x"}
_FALSE = {"0", "false", "no", "n", "f", "否", "不同意", "无"}


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("'%(value)s' is not yes or no") % {"value": text})


_TAG_SPLIT = re.compile(r"[,，、;；|]")


def parse_tags(value: object) -> list[str]:
    tags = sorted({t.strip() for t in _TAG_SPLIT.split(cell_text(value)) if t.strip()})
    long = [t for t in tags if len(t) > TAG_LENGTH_MAX]
    if long:
        raise CellError(_("the tag '%(tag)s…' is longer than %(max)d characters") % {
            "tag": long[0][:20], "max": TAG_LENGTH_MAX})
    if len(tags) > TAGS_PER_CUSTOMER_MAX:
        raise CellError(_("%(count)d tags; at most %(max)d per customer") % {
            "count": len(tags), "max": TAGS_PER_CUSTOMER_MAX})
    return tags


def _run_validators(column: Column, value) -> None:
    for validator in column.validators:
        try:
            validator(value)
        except ValidationError as exc:
            raise CellError(" ".join(exc.messages)) from None


def parse_cell(column: Column, value: object, check: bool = True):
    """The Python value of one non-empty cell for ``column``, or :class:`CellError`.

    ``check=False`` skips the email check, for a second pass over rows already checked."""
    kind = column.kind
    if kind == "custom":        # the one validator of custom values (kehu.customfields.values)
        from kehu.customfields.values import parse_value

        try:
            return parse_value(column.definition, value)
        except ValidationError as exc:
            raise CellError(" ".join(exc.messages)) from None
    if kind == "date":
        day = parse_date(value)
        if check:
            _run_validators(column, day)
        return day
    if kind in ("money", "decimal", "int"):
        d = parse_decimal(value, places=2 if kind == "money" else (0 if kind == "int" else 3))
        if column.min_value is not None and d < column.min_value:
            raise CellError(_("%(value)s is less than %(min)s") % {"value": d, "min": column.min_value})
        if column.max_value is not None and d > column.max_value:
            raise CellError(_("%(value)s is more than %(max)s") % {"value": d, "max": column.max_value})
        if abs(d) >= Decimal(10) ** 14:
            raise CellError(_("%(value)s is too large") % {"value": d})
        return int(d) if kind == "int" else d
    if kind == "choice":
        text = cell_text(value)
        found = choice_map(column.choices).get(text.lower()) or choice_map(column.choices).get(header_key(text))
        if found is None:
            raise CellError(_("'%(value)s' is not one of the accepted values") % {"value": text})
        return found
    if kind == "bool":
        return parse_bool(value)
    if kind == "tags":
        return parse_tags(value)
    text = cell_text(value) if kind != "text" or not isinstance(value, str) else value.strip()
    if kind == "email":
        text = text.lower()
        try:
            if check:
                validate_email(text)
        except ValidationError:
            raise CellError(_("'%(value)s' is not an email address") % {"value": text}) from None
    if column.max_length and len(text) > column.max_length:
        raise CellError(_("longer than %(max)d characters") % {"max": column.max_length})
    if check:
        _run_validators(column, text)
    return text


# -- header mapping -------------------------------------------------------------

@dataclass
class HeaderMap:
    """Which spreadsheet column feeds which field."""

    columns: list[tuple[int, Column]] = field(default_factory=list)  # (cell index, column)
    mapped: list[tuple[str, str]] = field(default_factory=list)      # (header as written, canonical field)
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)                 # required fields without a column
    repeated: list[str] = field(default_factory=list)                # headers that map to a field already taken

    #: parsed values of the cells seen so far, per column of a kind whose cells repeat (see
    #: :data:`MEMO_KINDS`): cell → value, at most :data:`MEMO_SIZE` cells per column
    memo: dict = field(default_factory=dict, repr=False)

    @property
    def fields(self) -> set[str]:
        return {c.field for _i, c in self.columns}

    def cell_memo(self, column: Column) -> dict | None:
        """The memo of ``column`` (created here), or None for a kind that is not memoised."""
        if column.kind not in MEMO_KINDS:
            return None
        return self.memo.setdefault(column.field, {})


# Kinds whose parsing depends on the cell alone and whose values repeat down a file (a
# handful of choices, dates of orders, owners, tiers): parsed once per distinct cell. Not
# text (inlined), email (checked), money (rarely repeats), tags (a list, mutable).
MEMO_KINDS = frozenset({"choice", "int", "decimal", "bool", "date", "user"})
MEMO_SIZE = 4096


# The record type whose custom fields an import kind fills.
CUSTOM_RECORD_TYPES = {"customers": "customer", "orders": "order"}
CUSTOM_PREFIX = "custom."


def custom_columns(kind: str) -> tuple[Column, ...]:
    """The active custom fields of the kind's record type as columns: the header is the key
    (``credit_days``) or either label (``账期（天）``, ``Credit terms (days)``). An empty cell
    leaves the value as it was (as every column of an update does): the import does not insist
    on required custom fields, which the forms and the API do."""
    from kehu.customfields.values import definitions

    record_type = CUSTOM_RECORD_TYPES.get(kind)
    if record_type is None:
        return ()
    return tuple(Column(CUSTOM_PREFIX + d.key, kind="custom", aliases=(d.key, d.label_zh, d.label_en),
                        help=d.help_text or d.label, definition=d) for d in definitions(record_type))


def map_headers(headers: list[object], kind: str, extra: tuple[Column, ...] = ()) -> HeaderMap:
    """Which column feeds which field: the kind's columns, then ``extra`` (its custom fields,
    :func:`custom_columns`), whose headers never shadow a built-in one."""
    fixed = COLUMNS[kind]
    columns = fixed + tuple(extra)
    lookup: dict[str, Column] = {}
    for column in columns:
        lookup.setdefault(header_key(column.field), column)
    for column in columns:  # aliases never shadow a canonical header
        for alias in column.aliases:
            lookup.setdefault(header_key(alias), column)
    result = HeaderMap()
    taken: set[str] = set()
    for index, raw in enumerate(headers):
        text = cell_text(raw)
        if not text:
            continue
        column = lookup.get(header_key(text))
        if column is None:
            result.unknown.append(text)
        elif column.field in taken:
            result.repeated.append(text)
        else:
            taken.add(column.field)
            result.columns.append((index, column))
            result.mapped.append((text, column.field))
    result.missing = [c.field for c in fixed if c.required and c.field not in taken]
    return result


def canonical_headers(kind: str) -> list[str]:
    return [c.field for c in COLUMNS[kind]]


def chinese_header(column: Column) -> str:
    """The first Chinese alias of a column, for the template with Chinese headers."""
    for alias in column.aliases:
        if re.search(r"[\u4e00-\u9fff]", alias):
            return alias
    return column.field
