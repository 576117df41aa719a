"""Customer profiles (客户档案): individuals and organisations, contacts, tags, sharing."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.fields import ByteOrderCharField, ByteOrderEmailField
from kehu.org.models import Team, TimeStamped
from kehu.validators import (
    REMARKS_MAX, TAG_LENGTH_MAX, text_limit, validate_not_in_future, validate_phone, validate_website,
)


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANIZATION = "organization", _("Organisation")


class Region(models.TextChoices):
    NORTHEAST = "northeast", _("Northeast (东北)")
    NORTH = "north", _("North China (华北)")
    EAST = "east", _("East China (华东)")
    CENTRAL = "central", _("Central China (华中)")
    SOUTH = "south", _("South China (华南)")
    NORTHWEST = "northwest", _("Northwest (西北)")
    SOUTHWEST = "southwest", _("Southwest (西南)")
    OVERSEAS = "overseas", _("Overseas")


class LifecycleStage(models.TextChoices):
    RESERVE = "reserve", _("Reserve (储备客户)")
    TARGET = "target", _("Target (目标客户)")
    POTENTIAL = "potential", _("Potential (潜在客户)")
    OPPORTUNITY = "opportunity", _("Opportunity (商机客户)")
    CUSTOMER = "customer", _("Customer (成交客户)")
    AFTER_SALES = "after_sales", _("After-sales")
    DORMANT = "dormant", _("Dormant")
    AT_RISK = "at_risk", _("At risk")
    LOST = "lost", _("Lost (流失)")
    WON_BACK = "won_back", _("Won back (挽回)")


class RelationshipLevel(models.TextChoices):
    BASIC = "basic", _("Basic (基本型)")
    REACTIVE = "reactive", _("Reactive (反应型)")
    ACCOUNTABLE = "accountable", _("Accountable (可靠型)")
    PROACTIVE = "proactive", _("Proactive (主动型)")
    PARTNERSHIP = "partnership", _("Partnership (伙伴型)")


class Source(models.TextChoices):
    PHONE = "phone", _("Phone (电话)")
    WEB = "web", _("Web (网络)")
    EXHIBITION = "exhibition", _("Trade fair (展会)")
    REFERRAL = "referral", _("Referral")
    VISIT = "visit", _("Sales visit")
    OTHER = "other", _("Other")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Micro (<10)")
    SMALL = "small", _("Small (10–99)")
    MEDIUM = "medium", _("Medium (100–999)")
    LARGE = "large", _("Large (1000+)")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Importance(models.TextChoices):
    LOW = "low", pgettext_lazy("level", "Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", pgettext_lazy("level", "High")
    KEY = "key", _("Key account")


# The behavioural segmentation (DOMAIN.md §2): stored codes, labels translated.
class UsageRate(models.TextChoices):
    NONE = "none", _("Non-user (未使用)")
    LIGHT = "light", _("Light user (少量使用)")
    MEDIUM = "medium", pgettext_lazy("usage rate", "Medium user (中度使用)")
    HEAVY = "heavy", _("Heavy user (大量使用)")


class UserStatus(models.TextChoices):
    NON_USER = "non_user", _("Non-user (非使用者)")
    EX_USER = "ex_user", _("Ex-user (曾经使用者)")
    POTENTIAL = "potential", pgettext_lazy("user status", "Potential user (潜在使用者)")
    FIRST_TIME = "first_time", _("First-time user (首次使用者)")
    REGULAR = "regular", _("Regular user (经常使用者)")


class LoyaltyLevel(models.TextChoices):
    NONE = "none", _("None (无忠诚)")
    LOW = "low", pgettext_lazy("loyalty", "Low (低)")
    MEDIUM = "medium", pgettext_lazy("loyalty", "Medium (中)")
    HIGH = "high", pgettext_lazy("loyalty", "High (高)")
    ABSOLUTE = "absolute", _("Absolute (绝对忠诚)")


class PreferredChannel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("channel", "Phone (电话)")
    SMS = "sms", pgettext_lazy("channel", "SMS (短信)")
    WECHAT = "wechat", _("WeChat (微信)")
    EMAIL = "email", pgettext_lazy("channel", "E-mail (邮件)")
    VISIT = "visit", _("Visit (上门)")
    MAIL = "mail", _("Post (邮寄)")
    ONLINE = "online", _("Online (网上)")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=TAG_LENGTH_MAX, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(TimeStamped):
    """One customer: an individual (个人客户) or an organisation (企业客户)."""

    kind = models.CharField(_("type"), max_length=12, choices=CustomerType.choices, default=CustomerType.ORGANIZATION)
    # Unique through Meta.constraints, not unique=True: on PostgreSQL Django
    # would add a second, varchar_pattern_ops index for LIKE, and codes are
    # only ever matched exactly. Every index costs the import its upkeep.
    ref = models.CharField(_("customer code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    # Search keys, kept by customer services: lower-cased name, full pinyin
    # without spaces, and pinyin initials, so that "zs" and "zhangsan" find 张三.
    # Listed by name means listed by pinyin (the order of a Chinese address
    # book; latin names sort by their lower-cased letters among them).
    name_key = ByteOrderCharField(max_length=200, editable=False, default="")
    name_pinyin = ByteOrderCharField(max_length=400, editable=False, default="")
    name_initials = ByteOrderCharField(max_length=100, editable=False, default="")

    phone = ByteOrderCharField(_("phone"), max_length=30, blank=True, default="", validators=[validate_phone])
    email = ByteOrderEmailField(_("email"), blank=True, default="")
    website = models.CharField(_("website"), max_length=200, blank=True, default="", validators=[validate_website])
    address = models.CharField(_("address"), max_length=300, blank=True, default="")

    # Geographic segmentation
    region = models.CharField(_("region"), max_length=12, choices=Region.choices, blank=True, default="")
    province = models.CharField(_("province"), max_length=30, blank=True, default="")
    city = models.CharField(_("city"), max_length=50, blank=True, default="")
    city_tier = models.PositiveSmallIntegerField(_("city tier"), null=True, blank=True)

    # Organisations
    industry = models.CharField(_("industry"), max_length=60, blank=True, default="")
    size = models.CharField(_("company size"), max_length=10, choices=CompanySize.choices, blank=True, default="")
    annual_budget = models.DecimalField(_("annual purchasing budget"), max_digits=16, decimal_places=2, null=True, blank=True,
                                        validators=[MinValueValidator(Decimal(0))])
    share_of_wallet = models.DecimalField(
        _("share of wallet (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Our share of the customer's purchasing budget, 0–100."),
    )
    strategic_importance = models.CharField(_("strategic importance"), max_length=10, choices=Importance.choices, blank=True, default="")

    # Individuals (demographic, psychographic)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True, default="")
    age_band = models.CharField(_("age band"), max_length=20, blank=True, default="")
    occupation = models.CharField(_("occupation"), max_length=60, blank=True, default="")
    income_band = models.CharField(_("income band"), max_length=30, blank=True, default="")
    education = models.CharField(_("education"), max_length=30, blank=True, default="")
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, choices=PreferredChannel.choices,
                                         blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True, validators=[validate_not_in_future])
    # 身份证号 or passport number; masked for viewers without the right (kehu.privacy.masking).
    id_number = models.CharField(_("ID number"), max_length=30, blank=True, default="")
    lifestyle = models.CharField(_("lifestyle"), max_length=60, blank=True, default="")
    personality = models.CharField(_("personality"), max_length=60, blank=True, default="")

    # Behavioural
    usage_rate = models.CharField(_("usage rate"), max_length=20, choices=UsageRate.choices, blank=True, default="")
    benefit_sought = models.CharField(_("benefit sought"), max_length=60, blank=True, default="")
    user_status = models.CharField(_("user status"), max_length=20, choices=UserStatus.choices, blank=True, default="")
    loyalty_level = models.CharField(_("loyalty level"), max_length=20, choices=LoyaltyLevel.choices, blank=True,
                                     default="")
    attitude = models.CharField(_("attitude"), max_length=20, blank=True, default="")

    source = models.CharField(pgettext_lazy("customer", "source"), max_length=12, choices=Source.choices, blank=True, default="")
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=12, choices=LifecycleStage.choices, default=LifecycleStage.RESERVE)
    relationship_level = models.CharField(_("relationship level"), max_length=12, choices=RelationshipLevel.choices, blank=True, default="")

    # owner and team need no index of their own: cust_owner_pinyin and
    # cust_team_pinyin start with them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="owned_customers", db_index=False,
    )
    # The owning team, kept equal to the owner's team by the services; the
    # visibility policy filters on it with one indexed IN over a team subtree.
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="customers", db_index=False)
    # The partner (agent, distributor…) that serves the customer (kehu/org, 伙伴关系管理): its
    # users see the customer, as do the users of the partners above it.
    partner = models.ForeignKey("org.Partner", verbose_name=_("partner"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="customers")
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")

    preferences = models.TextField(_("preferences"), blank=True, default="", max_length=REMARKS_MAX,
                                   validators=[text_limit(REMARKS_MAX)])
    remarks = models.TextField(_("remarks"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])

    consent_marketing = models.BooleanField(_("consents to marketing"), default=False)
    consent_data_processing = models.BooleanField(_("consents to data processing"), default=False)
    consent_updated_at = models.DateTimeField(_("consent updated"), null=True, blank=True)
    # Opt-outs per channel (退订): nothing is sent on a channel the customer opted out of,
    # whatever the consents say (kehu.privacy.consent).
    opt_out_email = models.BooleanField(_("opted out of e-mail"), default=False)
    opt_out_sms = models.BooleanField(_("opted out of SMS"), default=False)
    # Values of the custom fields (kehu.customfields), validated by its clean_custom_values.
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)

    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="merged_from", db_index=False,
    )
    # The import that created the customer: its creation's audit record (who, when, which
    # file) is the import's, shown on the customer's history from here
    # (kehu.customers.selectors.customer_history) instead of one audit row per imported customer.
    # No constraint and no index: imports are never deleted, and nothing looks customers up by it.
    import_run = models.ForeignKey(
        "imports.ImportRun", verbose_name=_("created by import"), null=True, blank=True, editable=False,
        on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name_pinyin", "id"]
        # Each search key has one index that serves both the prefix match and
        # the order of its search tier (kehu.customers.selectors.search_tiers);
        # the list pages by (name_pinyin, id) within a team, an owner or a city.
        indexes = [
            models.Index(fields=["name_pinyin", "id"], name="cust_pinyin_id"),
            models.Index(fields=["name_key", "id"], name="cust_key_id"),
            models.Index(fields=["name_initials", "name_pinyin", "id"], name="cust_initials_pinyin"),
            models.Index(fields=["phone", "id"], name="cust_phone_id"),
            # Partial indexes hold only the rows they serve, and rows outside
            # them cost an insert nothing: many customers have no e-mail, few
            # were merged away.
            models.Index(fields=["email", "id"], name="cust_email_id", condition=Q(email__gt="")),
            models.Index(fields=["merged_into"], name="cust_merged_into", condition=Q(merged_into__isnull=False)),
            models.Index(fields=["team", "name_pinyin", "id"], name="cust_team_pinyin"),
            models.Index(fields=["owner", "name_pinyin", "id"], name="cust_owner_pinyin"),
            models.Index(fields=["-created_at", "-id"], name="cust_created"),
            models.Index(fields=["-updated_at", "-id"], name="cust_updated"),
            models.Index(fields=["city", "name_pinyin", "id"], name="cust_city_pinyin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ref"], name="cust_ref_unique"),
            models.CheckConstraint(
                condition=Q(share_of_wallet__isnull=True) | (Q(share_of_wallet__gte=0) & Q(share_of_wallet__lte=100)),
                name="cust_share_of_wallet_0_100",
                violation_error_message=_("The share of wallet must be between 0 and 100."),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="cust_name_not_empty",
                                   violation_error_message=_("A customer needs a name.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_organization(self) -> bool:
        return self.kind == CustomerType.ORGANIZATION


class Anniversary(models.Model):
    """A date to remember (company founding day, wedding anniversary, first order...)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="anniversaries")
    label = models.CharField(_("occasion"), max_length=60)
    date = models.DateField(_("date"), validators=[validate_not_in_future])

    class Meta:
        verbose_name = _("anniversary")
        verbose_name_plural = _("anniversaries")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.label} {self.date:%m-%d}"


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", pgettext_lazy("decision role", "User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Contact(TimeStamped):
    """A person at an organisation customer, with their place in the buying decision (决策链)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    title = models.CharField(pgettext_lazy("job", "title"), max_length=100, blank=True, default="")
    department = models.CharField(_("department"), max_length=100, blank=True, default="")
    decision_role = models.CharField(_("role in the buying decision"), max_length=20, choices=DecisionRole.choices, blank=True, default="")
    reports_to = models.ForeignKey(
        "self", verbose_name=_("reports to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="reports",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="", validators=[validate_phone])
    email = models.EmailField(_("email"), blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True, validators=[validate_not_in_future])
    remarks = models.TextField(_("remarks"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "name", "id"]

    def __str__(self) -> str:
        return self.name


class CustomerShare(models.Model):
    """An explicit share of one customer with a user or a whole team (共享)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.CASCADE, related_name="customer_shares")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="customer_shares")
    can_edit = models.BooleanField(_("may edit"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("customer share")
        verbose_name_plural = _("customer shares")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True)) | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="share_user_xor_team",
                violation_error_message=_("Share with either a user or a team."),
            ),
            models.UniqueConstraint(fields=["customer", "user"], condition=Q(user__isnull=False), name="share_unique_user"),
            models.UniqueConstraint(fields=["customer", "team"], condition=Q(team__isnull=False), name="share_unique_team"),
        ]
        indexes = [
            models.Index(fields=["user", "customer"], name="share_user_customer"),
            models.Index(fields=["team", "customer"], name="share_team_customer"),
        ]
