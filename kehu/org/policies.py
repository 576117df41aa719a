"""The one visibility policy (岗位/角色/共享).

Every list, detail, create, update, delete, search, export, count, API call and
report that touches customers — or records that belong to a customer
(contacts, interactions, orders, payments, audit) — asks this module. Nothing
else decides who may see or change a customer.

Rules
-----
- administrators (and Django superusers): see and change everything;
- analysts: see everything, change nothing;
- members of head office (the root team) with a manager role: everything;
- sales managers, service agents and marketing staff: the customers of their
  team's whole subtree (head office → regions → sales teams), their own
  customers, and customers shared with them; marketing reads but does not
  change;
- salespeople: their own customers and those shared with them;
- a share with a team applies to that team's members and the members of its
  subteams; a share changes nothing unless ``can_edit`` is set;
- inactive or anonymous users: nothing;
- partners of the channel (伙伴关系管理, kehu/partners): read by administrators,
  analysts, sales managers and service agents; created and changed (with their
  targets and users) by administrators and sales managers; a partner user reads
  only its own partner and the sub-partners below it; salespeople and marketing
  none. A partner's customers, orders, cases and scorecard figures are counted
  within the viewer's own view scope (:attr:`CustomerPolicy.may_read_partners`,
  :meth:`CustomerPolicy.visible_partners`, :attr:`CustomerPolicy.may_manage_partners`).
  The tasks about a partner (a partner's low survey answer, a partner behind its
  target) are seen by their assignee and creator and by administrators, analysts
  and sales managers, never by partner users, and worked by their assignee and
  those who manage partners (:attr:`CustomerPolicy.may_read_partner_tasks`,
  kehu/engagement/selectors.py);
- cases (服务单 / 投诉单): those of the customers a user may see, plus those
  assigned to them or to their team (the team's subtree for managers and
  service agents) and those they registered; they are worked by whoever may
  change the customer, the assignee, the team and who registered them, never
  by the read-only roles (:meth:`CustomerPolicy.visible_cases`,
  :meth:`CustomerPolicy.can_change_case`);
- planned visits (拜访计划, kehu/engagement): a salesperson sees and works
  their own; managers, service agents and marketing see those of the people
  in their team's subtree, head-office managers, analysts and administrators
  all of them — always only visits to customers the viewer may see. A visit
  is worked (moved, done, skipped, checked in) by its salesperson and by
  whoever may change its customer, never by the read-only roles; planning a
  week for others is for managers and administrators
  (:meth:`CustomerPolicy.visible_visits`, :meth:`CustomerPolicy.can_change_visit`,
  :attr:`CustomerPolicy.may_plan_visits`);
- sales performance and receivables (kehu/sales/performance.py): a
  salesperson sees their own figures only (not their team's ranking); sales
  managers, service agents and marketing the people of their team's subtree
  (the leaderboard); head-office managers, analysts and administrators
  everyone. The receivables ageing lists the orders of the customers the
  viewer may see (:meth:`CustomerPolicy.performance_people`);
- association rules (what is bought together): administrators, analysts and
  sales managers read the company-wide list; cross-selling suggestions for a
  customer follow the customer (:attr:`CustomerPolicy.may_read_associations`);
- the lead pool (公海, kehu/sales/pool.py): customers without an owner. The company
  pool (no team) is seen by everyone signed in; a team's pool (team set, no owner)
  by that team's members, by the subtree roles above it and by those who see
  everything (:meth:`CustomerPolicy.visible_pool`). Whoever may change
  customers claims from the pool they see; giving pool customers to others is
  for managers and administrators (:attr:`CustomerPolicy.may_assign_pool`);
- quotes (报价单, kehu/sales): visible exactly when their customer is; changed
  by whoever may change the customer and by their salesperson, never by the
  read-only roles; a quote over the customer's discount ceiling is approved by
  a sales manager who may change the customer, or an administrator
  (:meth:`CustomerPolicy.visible_quotes`, :meth:`CustomerPolicy.can_change_quote`,
  :meth:`CustomerPolicy.may_approve_quote`);
- key-account plans (大客户计划): seen with their customer, written by whoever may
  change the customer (:meth:`CustomerPolicy.visible_key_account_plans`,
  :meth:`CustomerPolicy.can_change_key_account_plan`); an order waiting for approval
  (over the credit limit, overdue payments) is approved or rejected by administrators
  and by sales managers who may change its customer, never by a salesperson
  (:meth:`CustomerPolicy.can_approve_order`);
- membership and points (kehu/marketing/membership): a membership is seen
  with its customer; tiers, earning rules, bonuses and corrections are for
  marketing and administrators (:attr:`CustomerPolicy.may_manage_membership`);
- employee satisfaction (kehu/surveys/staff): answers are anonymous — no page,
  export or API response shows one respondent's answers or links a response
  to the person invited. The results by team and role, and staff beside
  customers per team, are read by those who see everything (administrators,
  analysts, head-office managers: every team and the company's total) and by
  sales managers for the team rows of their own team's subtree; every group
  under the anonymity threshold is suppressed for everyone, by the same
  rule. Salespeople, service agents and marketing outside head office see no
  employee results (:attr:`CustomerPolicy.employee_result_team_ids`);
- the company-wide audit log (every audit event, exports included) is read
  by administrators only; the audit entries of one customer are read on that
  customer's page by whoever may see the customer;
- partner users (role ``partner``, people of an agent or distributor, 伙伴关系管理):
  exactly the customers whose ``partner`` is their partner or a partner below it
  (the partner subtree by its materialised path, :attr:`CustomerPolicy.partner_ids`;
  :attr:`Scope.partner_ids`, in :meth:`Scope.q`, :meth:`Scope.q_on` and the raw-SQL
  :meth:`CustomerPolicy.visible_where_sql`), and those customers' contacts,
  interactions, orders, cases and attachments; no owner, team or share rule widens
  it, and rows that carry no partner key (opportunities) are hidden from them. They
  also see and work the cases routed to those partners (``Case.partner``, the
  responsible partner) and the cases they registered. They change those customers
  and their records (contacts, interactions, orders, cases) but never delete,
  merge or share a customer, delete an order, choose an owner, a salesperson, an
  order's partner or its margin (:attr:`CustomerPolicy.may_delete_customers`,
  :meth:`CustomerPolicy.can_assign_to`). They never see the company's cost, an
  order's gross margin or margin rate, a product's unit cost or a partner's gross
  or company margin, nor set a cost (:attr:`CustomerPolicy.may_see_cost`): only the
  selling prices and their own partner margin. A customer they register is their
  partner's (or a sub-partner's they name) and is owned by the partner's channel
  manager, else the nearest one up the partner tree, else nobody — and a
  customer served by a partner is never in the lead pool. The duplicate check of
  their registration tells them only that the company may have the customer
  already, never its name, code, owner or partner. They see nothing of the pools,
  performance, forecasts, quotas, association rules, marketing, membership,
  surveys, value analysis, the audit log or the settings: **deny by default**,
  a partner user reaches only the pages and API endpoints of the partner portal
  (:data:`PARTNER_VIEWS`, :meth:`CustomerPolicy.may_use_view`), enforced once for
  pages (:class:`kehu.org.middleware.PartnerPortalMiddleware`) and once for the API
  (its authentication, kehu/api/router.py); anything else answers 404.

A record you may not see and one that does not exist give the same 404.

Personal information (个人信息, DOMAIN.md §1)
--------------------------------------------
- phone numbers, e-mail addresses and ID numbers of a customer and of its
  contacts are shown in full to whoever may *change* the customer: its
  owner, the managers and service agents of the owner's team and of the
  teams above it, head-office managers, administrators and users with an
  editing share. Everyone else who may see the customer — analysts,
  marketing, read-only shares — sees them masked (``138****8001``,
  ``z***@example.com``) in every page, API response, search result and export
  (:func:`may_see_personal_data`, applied by :mod:`kehu.privacy.masking`);
- a logged *reveal* of one masked value is open to those who see the
  customer through a share (salespeople, service agents, managers), never to
  the read-only roles (analysts, marketing), whose work needs no single
  person's number (:func:`may_reveal_personal_data`);
- export of everything Kehu holds about one person: whoever sees their
  personal data in full (:func:`may_export_personal_data`);
- erasure on request (irreversible): administrators and head-office managers
  only (:func:`may_erase_personal_data`).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields, replace
from functools import cached_property

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.org.models import Role, Team

SHARED_IDS_MAX = 1000
ALL_READ_ROLES = {Role.ADMIN, Role.ANALYST}
SUBTREE_ROLES = {Role.SALES_MANAGER, Role.SERVICE_AGENT, Role.MARKETING}
READ_ONLY_ROLES = {Role.ANALYST, Role.MARKETING}
KB_WRITER_ROLES = {Role.SERVICE_AGENT, Role.SALES_MANAGER}
PARTNER_READER_ROLES = {Role.ANALYST, Role.SALES_MANAGER, Role.SERVICE_AGENT}
# Case event kinds a partner user never sees on a case's timeline (the company's own
# service-level warnings and escalations; :meth:`CustomerPolicy.case_event_q`).
PARTNER_HIDDEN_CASE_EVENT_KINDS = ("sla",)

# The partner portal: the only pages (URL names) and API endpoints (``api-v1:`` names; one
# name covers every method of its path) a partner user may reach — deny by default, so a
# page added later stays closed to them until it is listed here. Each still asks this
# policy about its records (:meth:`CustomerPolicy.may_use_view`).
PARTNER_VIEWS = frozenset({
    # signing in and out, their own profile, password, language, two-step sign-in, tokens
    "login", "login_code", "logout", "password_change", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete", "totp_setup", "totp_disable",
    "profile", "token_create", "token_revoke", "set_language",
    # their customers, contacts, interactions, orders (list, detail, create) and exports
    "customer_list", "customer_count", "customer_create", "customer_detail", "customer_edit",
    "contact_create", "contact_edit", "contact_delete", "interaction_list", "interaction_create",
    "interaction_edit", "interaction_delete",
    "order_list", "order_detail", "order_create",
    "customer_export", "order_export", "interaction_export",
    "attachment_section", "attachment_download",
    "saved_view_create", "saved_views", "saved_view_rename", "saved_view_delete",
    # cases: list, detail, register, work
    "case_queue", "case_create", "case_detail", "case_edit", "case_transition", "case_step",
    "case_comment", "case_attachments", "case_attachment_download", "case_from_interaction",
    # ... and the parts of those pages loaded after them: the published articles that match
    # the case, the order lines of their customers a serial number names
    "case_articles", "case_serial_lookup",
    # the published knowledge base, and the search over their scope
    "kb_list", "kb_detail", "faq", "faq_article", "faq_vote", "global_search", "vega_bundle",
    # the public pages (no sign-in) stay open to anyone
    "survey_answer", "survey_answer_autosave", "public_case_form", "public_case_status",
    "public_lead_form", "referral_public_form", "campaign_link", "outreach_unsubscribe",
    # the API
    "api-v1:api-root", "api-v1:openapi-json", "api-v1:openapi-view", "api-v1:me",
    "api-v1:customer-list", "api-v1:customer-detail",
    "api-v1:contact-list", "api-v1:contact-detail",
    "api-v1:interaction-list", "api-v1:interaction-detail",
    "api-v1:order-list", "api-v1:order-detail", "api-v1:product-list", "api-v1:product-detail",
    "api-v1:case-list", "api-v1:case-detail", "api-v1:case-transition", "api-v1:case-steps",
    "api-v1:case-step", "api-v1:case-events", "api-v1:case-comment", "api-v1:case-attachments",
    "api-v1:case-attachment-download", "api-v1:case-category-list", "api-v1:case-from-interaction",
    "api-v1:customer-attachments", "api-v1:interaction-attachments", "api-v1:order-attachments",
    "api-v1:attachment", "api-v1:attachment-download",
    "api-v1:kb-article-list", "api-v1:kb-search", "api-v1:kb-article-detail", "api-v1:global-search",
    "api-v1:saved-view-list", "api-v1:saved-view-detail", "api-v1:me-password",
    # their own partner and the sub-partners below it (kehu/partners: visible_partners), read only
    "api-v1:partner-list", "api-v1:partner-detail", "api-v1:partner-targets", "api-v1:partner-customers",
    "api-v1:partner-orders", "api-v1:partner-scorecard",
})


@dataclass(frozen=True)
class Scope:
    """What a viewer may see or change: everything, nothing, or a set of rules."""

    everything: bool = False
    nothing: bool = False
    owner_id: int | None = None
    team_ids: tuple[int, ...] = ()
    share_user_id: int | None = None
    share_team_ids: tuple[int, ...] = ()
    shares_must_allow_edit: bool = False
    # The shared customers' ids when there are few (the usual case); None
    # means "too many to list": the shares are then read by a subquery.
    shared_ids: tuple[int, ...] | None = None
    # A partner user's scope: the customers served by these partners (their partner and
    # the sub-partners below it) — and nothing else.
    partner_ids: tuple[int, ...] = ()

    def q(self, prefix: str = "") -> Q:
        """A ``Q`` over customers, or over rows linked to a customer by ``prefix``
        (for example ``"customer__"`` for contacts, interactions and orders)."""
        return self.q_on(owner=f"{prefix}owner_id", team=f"{prefix}team_id", customer=f"{prefix}pk",
                         partner=f"{prefix}partner_id")

    def q_on(self, *, owner: str, team: str, customer: str, partner: str | None = None) -> Q:
        """The same rules over rows that carry their customer's owner, team and id in
        the fields named (opportunities keep copies: kehu/sales/customer_keys.py), and
        the customer's partner under ``partner`` (a partner user's scope; without it a
        partner user sees none of these rows)."""
        if self.everything:
            return Q()
        if self.nothing:
            return Q(pk__in=[])
        q = Q()
        if self.partner_ids:
            if partner is None:
                return Q(pk__in=[])
            q |= Q(**{f"{partner}__in": self.partner_ids})
        if self.owner_id is not None:
            q |= Q(**{owner: self.owner_id})
        if self.team_ids:
            q |= Q(**{f"{team}__in": self.team_ids})
        if self.shared_ids is None:
            q |= Q(**{f"{customer}__in": self.shares().values("customer_id")})
        elif self.shared_ids:
            q |= Q(**{f"{customer}__in": self.shared_ids})
        if not q:
            return Q(pk__in=[])
        return q

    def key_rules(self, *, owner: str, team: str) -> tuple[Q, tuple[int, ...]] | None:
        """The same rules split for rows kept per owner and team (the dashboard's sales
        per owner, team and day, kehu/sales/sales_days.py): a ``Q`` over the fields named
        ``owner`` and ``team`` (the owner and team rules alone), and the ids of the shared
        customers, some of which the ``Q`` may already cover. None when the scope cannot
        be said so — it sees everything, its shares are too many to list, or it holds a
        rule of another kind (a field this method does not know, left at anything but
        its default): the caller then filters the customers' own rows by :meth:`q`, so a
        new kind of rule stays correct until it is taught here."""
        if self.everything:
            return None
        if self.nothing:
            return Q(pk__in=[]), ()
        if self.shared_ids is None:
            return None
        for f in fields(self):
            if f.name in _KEY_RULE_FIELDS:
                continue
            default = f.default if f.default is not MISSING else (
                f.default_factory() if f.default_factory is not MISSING else MISSING)
            if getattr(self, f.name) != default:
                return None
        q = Q()
        if self.owner_id is not None:
            q |= Q(**{owner: self.owner_id})
        if self.team_ids:
            q |= Q(**{f"{team}__in": self.team_ids})
        return (q if q else Q(pk__in=[])), tuple(self.shared_ids)

    def shares(self):
        """The shares that widen this scope."""
        from kehu.customers.models import CustomerShare

        share_filter = Q(user_id=self.share_user_id)
        if self.share_team_ids:
            share_filter |= Q(team_id__in=self.share_team_ids)
        shares = CustomerShare.objects.filter(share_filter)
        if self.shares_must_allow_edit:
            shares = shares.filter(can_edit=True)
        return shares


# The rules key_rules knows (the share fields only decide shared_ids, listed when it answers).
_KEY_RULE_FIELDS = frozenset({"everything", "nothing", "owner_id", "team_ids", "share_user_id", "share_team_ids",
                              "shares_must_allow_edit", "shared_ids"})


class CustomerPolicy:
    """Visibility of customers for one acting user."""

    def __init__(self, viewer):
        self.viewer = viewer

    # -- facts about the viewer ------------------------------------------
    @property
    def active(self) -> bool:
        v = self.viewer
        return bool(v is not None and getattr(v, "is_authenticated", False) and v.is_active)

    @property
    def role(self) -> str:
        return getattr(self.viewer, "role", "")

    @property
    def is_admin(self) -> bool:
        return self.active and (self.viewer.is_superuser or self.role == Role.ADMIN)

    @property
    def may_read_audit_log(self) -> bool:
        """The company-wide audit log: administrators only."""
        return self.is_admin

    @cached_property
    def _team(self) -> Team | None:
        if not self.active or not self.viewer.team_id:
            return None
        return Team.objects.only("id", "path", "parent_id").get(pk=self.viewer.team_id)

    @cached_property
    def _subtree_team_ids(self) -> tuple[int, ...]:
        team = self._team
        if team is None:
            return ()
        return tuple(Team.objects.filter(path__startswith=team.path).values_list("id", flat=True))

    @cached_property
    def _ancestor_team_ids(self) -> tuple[int, ...]:
        team = self._team
        if team is None:
            return ()
        return tuple(int(p) for p in team.path.strip("/").split("/") if p)

    @cached_property
    def _share_rows(self) -> list[tuple[int, bool]] | None:
        """``(customer id, can edit)`` of the shares with the viewer or their
        teams, or None when there are more than :data:`SHARED_IDS_MAX`.

        Listing them lets a scope say ``owner_id = 7 OR id IN (…a few ids…)``,
        which PostgreSQL answers by combining two index scans; with a subquery
        inside the ``OR`` it reads the whole customer table (0.3 s at a
        million customers). One query serves the view and the change scope.
        """
        scope = Scope(share_user_id=self.viewer.pk, share_team_ids=self._ancestor_team_ids)
        rows = list(scope.shares().values_list("customer_id", "can_edit")[: SHARED_IDS_MAX + 1])
        return None if len(rows) > SHARED_IDS_MAX else rows

    def _shared_ids(self, *, edit: bool) -> tuple[int, ...] | None:
        rows = self._share_rows
        if rows is None:
            return None
        return tuple(sorted({cid for cid, can_edit in rows if can_edit or not edit}))

    @property
    def sees_everything(self) -> bool:
        if not self.active:
            return False
        if self.is_admin or self.role in ALL_READ_ROLES:
            return True
        team = self._team
        return self.role in SUBTREE_ROLES and team is not None and team.is_head_office

    # -- partners (伙伴关系管理, kehu/org/partners.py) ----------------------------
    @property
    def is_partner(self) -> bool:
        """A partner organisation's user (role ``partner``)."""
        return self.active and self.role == Role.PARTNER and bool(getattr(self.viewer, "partner_id", None))

    @cached_property
    def partner_ids(self) -> tuple[int, ...]:
        """A partner user's partners: their own and every sub-partner below it (the
        partner subtree by its materialised path); () for everyone else."""
        if not self.is_partner:
            return ()
        from kehu.org.models import Partner

        path = Partner.objects.filter(pk=self.viewer.partner_id).values_list("path", flat=True).first()
        if not path:
            return (self.viewer.partner_id,)
        return tuple(Partner.objects.filter(path__startswith=path).values_list("id", flat=True))

    def timeline_q(self, kind: str) -> Q:
        """Which records of a customer the viewer already sees go on its 360 timeline and
        (interactions) in the interaction lists, as a ``Q`` over that kind's rows (``Q()``:
        all of them). ``kind``: ``interaction``, ``order``, ``case_event`` or ``change`` (an
        audit event).

        The company's people see everything. A partner user sees only what their partners'
        people did or what is routed to their partners: the interactions logged by people
        of their partner or a sub-partner (never the company's own notes of calls and
        visits); every order of the customer; the events of the cases routed to their
        partners or registered by their people; the changes their people made — never the
        company's people's changes, tasks, value or churn scores or survey answers, which
        are audit events of the company's people or of the system."""
        if not self.is_partner:
            return Q()
        ids = self.partner_ids
        if kind == "interaction":
            return Q(user__partner_id__in=ids)
        if kind == "order":
            return Q()
        if kind == "case_event":
            return (Q(case__partner_id__in=ids) | Q(case__created_by__partner_id__in=ids)) & self.case_event_q()
        if kind == "change":
            return Q(actor__partner_id__in=ids)
        raise ValueError(kind)

    def case_event_q(self) -> Q:
        """Which events of a case the viewer already sees go on that case's timeline
        (the case page, the API's events, the 360 timeline), as a ``Q`` over
        :class:`~kehu.service.models.CaseEvent` (``Q()``: all of them).

        The company's people see every event. A partner user never sees the company's
        internal notes (comments with ``internal`` set) nor the service-level warnings and
        escalations (kind ``sla``: they name the company's people they were sent to); the
        other events (registered, moves, assignments, validity, steps, attachments, return
        visits, repairs and the other comments) are the case's handling, which the partner
        works too."""
        if not self.is_partner:
            return Q()
        return Q(internal=False) & ~Q(kind__in=PARTNER_HIDDEN_CASE_EVENT_KINDS)

    @property
    def may_write_internal_notes(self) -> bool:
        """Whether the viewer may mark a case comment internal (hidden from partner users,
        :meth:`case_event_q`): the company's people; never a partner user."""
        return self.active and self.role != Role.PARTNER

    @property
    def may_see_cost(self) -> bool:
        """The company's purchase cost and what follows from it — an order's or a line's
        cost, gross margin and margin rate, a product's unit cost, cost-based warnings and
        profitability (a partner's gross and company margin): confidential from resellers,
        so never shown to partner users (in pages, lists, exports or the API), who see the
        selling prices and their own partner margin. Everyone else as their records allow."""
        return self.role != Role.PARTNER

    def may_use_view(self, view_name: str) -> bool:
        """Whether the viewer may reach the page or API endpoint named ``view_name``
        (a URL name, ``api-v1:…`` for the API). Deny by default for partner users: only
        the partner portal (:data:`PARTNER_VIEWS`); everyone else as before (each page
        still asks this policy about its records)."""
        if self.role != Role.PARTNER:
            return True
        return view_name in PARTNER_VIEWS

    @property
    def may_manage_partners(self) -> bool:
        """Create and change partners, their targets and their users: administrators and
        sales managers (the channel managers)."""
        return self.active and (self.is_admin or self.role == Role.SALES_MANAGER)

    @property
    def may_read_partners(self) -> bool:
        """Read the partners (list, detail, scorecards, ranking, overview): administrators,
        analysts, sales managers (the channel managers) and service agents (cases are routed
        to partners). Salespeople and marketing do not; a partner user reads only its own
        partner and the sub-partners below it (:meth:`visible_partners`). The customers,
        orders and cases shown with a partner, and its scorecard figures, stay within the
        viewer's view scope."""
        return self.active and (self.is_admin or self.role in PARTNER_READER_ROLES)

    def visible_partners(self, qs: QuerySet | None = None) -> QuerySet:
        """The partners the viewer may read (:attr:`may_read_partners`: every partner; a
        partner user: its own partner and its sub-partners; nobody else: none)."""
        if qs is None:
            from kehu.org.models import Partner

            qs = Partner.objects.all()
        if self.may_read_partners:
            return qs
        if self.is_partner:
            path = self.viewer.partner.path
            return qs.filter(path__startswith=path) if path else qs.filter(pk=self.viewer.partner_id)
        return qs.none()

    @property
    def may_read_partner_satisfaction(self) -> bool:
        """The partner satisfaction survey's results (kehu.surveys, by partner type, level and
        partner): those who may read partners — administrators, analysts and sales managers."""
        return self.active and (self.is_admin or self.role in (Role.ANALYST, Role.SALES_MANAGER))

    @property
    def may_read_partner_tasks(self) -> bool:
        """The tasks about a partner (and no customer: a partner's low survey answer, a
        partner behind its target; kehu.engagement.selectors): besides their assignee and
        creator, those who look after the partners and read their satisfaction —
        administrators, analysts and sales managers. Never partner users: what the company
        does about a partner is not the partner's to read."""
        return self.may_read_partner_satisfaction

    @property
    def read_only(self) -> bool:
        return self.active and not self.is_admin and self.role in READ_ONLY_ROLES

    # -- the knowledge base (知识库, kehu.kb) ------------------------------
    @property
    def may_write_kb(self) -> bool:
        """Write, publish and archive knowledge-base articles, and read drafts
        and archived ones: service agents, their managers (sales managers,
        head office included) and administrators. Everyone else who is signed
        in reads the published articles; the public FAQ shows those to anyone."""
        return self.active and (self.is_admin or self.role in KB_WRITER_ROLES)

    # -- marketing (kehu.marketing: campaigns, coupons, membership, care, outreach) --
    @property
    def may_manage_marketing(self) -> bool:
        """Create and run campaigns, coupons, care rules, message templates, member tiers
        and earning rules, the suppression list and the sending settings: marketing and
        administrators (issue 16, item 9). Which customers they reach is still the view
        scope, as everywhere."""
        return self.active and (self.is_admin or self.role == Role.MARKETING)

    @property
    def may_target_retention(self) -> bool:
        """The retention-targeting page, API and command (kehu.marketing.targeting): those who
        plan retention campaigns — marketing, sales managers (head office's included) and
        administrators. The customers it ranks are still the view scope."""
        return self.may_manage_marketing or (self.active and self.role == Role.SALES_MANAGER)

    # -- membership and points (会员 / 积分, kehu.marketing.membership) -----
    @property
    def may_manage_membership(self) -> bool:
        """Configure member tiers and earning rules, give bonus points and
        correct a member's points: marketing and administrators. Members are
        read (and enrolled, points redeemed) with their customer: whoever may
        see the customer sees the membership; marketing and administrators
        enrol and redeem for the customers they see, the others for the
        customers they may change."""
        return self.may_manage_marketing

    # -- sending to customers (kehu.marketing.outreach) ----------------------
    @property
    def may_manage_outreach(self) -> bool:
        """Write message templates, the suppression list and the sending settings, read the
        whole suppression list and export the queued lists: marketing and administrators.
        Which customers' messages anyone reads is the view scope, as everywhere."""
        return self.may_manage_marketing

    # -- scopes -------------------------------------------------------------
    def _partner_scope(self) -> Scope:
        """A partner user's customers: those served by their partner or a sub-partner;
        no owner, team or share rule applies to them."""
        if not self.partner_ids:
            return Scope(nothing=True)
        return Scope(partner_ids=self.partner_ids, shared_ids=())

    @cached_property
    def view_scope(self) -> Scope:
        if not self.active:
            return Scope(nothing=True)
        if self.role == Role.PARTNER:
            return self._partner_scope()
        if self.sees_everything:
            return Scope(everything=True)
        team_ids = self._subtree_team_ids if self.role in SUBTREE_ROLES else ()
        return Scope(
            owner_id=self.viewer.pk,
            team_ids=team_ids,
            share_user_id=self.viewer.pk,
            share_team_ids=self._ancestor_team_ids,
            shared_ids=self._shared_ids(edit=False),
        )

    @cached_property
    def change_scope(self) -> Scope:
        if not self.active:
            return Scope(nothing=True)
        if self.is_admin:
            return Scope(everything=True)
        if self.role in READ_ONLY_ROLES:
            return Scope(nothing=True)
        if self.role == Role.PARTNER:
            # partner users work their partners' customers (contacts, interactions, orders,
            # cases); the owner, team, shares and deletion stay with the company
            return self._partner_scope()
        if self.sees_everything:
            return Scope(everything=True)
        team_ids = self._subtree_team_ids if self.role in SUBTREE_ROLES else ()
        return Scope(
            owner_id=self.viewer.pk,
            team_ids=team_ids,
            share_user_id=self.viewer.pk,
            share_team_ids=self._ancestor_team_ids,
            shares_must_allow_edit=True,
            shared_ids=self._shared_ids(edit=True),
        )

    # -- querysets ----------------------------------------------------------
    def visible(self, qs: QuerySet | None = None, *, prefix: str = "") -> QuerySet:
        """Filter ``qs`` (customers by default) to what the viewer may see."""
        if qs is None:
            from kehu.customers.models import Customer

            qs = Customer.objects.all()
        if self.view_scope.everything:
            return qs
        return qs.filter(self.view_scope.q(prefix))

    def changeable(self, qs: QuerySet | None = None, *, prefix: str = "") -> QuerySet:
        if qs is None:
            from kehu.customers.models import Customer

            qs = Customer.objects.all()
        if self.change_scope.everything:
            return qs
        return qs.filter(self.change_scope.q(prefix))

    def visible_where_sql(self, connection) -> tuple[str, list] | None:
        """The condition "the viewer may see this customer" as SQL and parameters for
        ``connection``, over the customer table under its own name (``customers_customer.
        owner_id = %s OR …``) — for raw SQL that must tell the visible customers from the
        others row by row (the import's duplicate query); None when the viewer sees every
        customer. The same scope as :meth:`visible`, compiled, not restated."""
        from django.core.exceptions import EmptyResultSet, FullResultSet

        if self.view_scope.everything:
            return None
        query = self.visible().query
        try:
            sql, params = query.get_compiler(connection=connection).compile(query.where)
        except EmptyResultSet:      # sees nothing
            return "1 = 0", []
        except FullResultSet:
            return None
        return sql, list(params)

    def can_view(self, customer) -> bool:
        return self.visible().filter(pk=customer.pk).exists()

    def can_change(self, customer) -> bool:
        return self.changeable().filter(pk=customer.pk).exists()

    @property
    def can_create(self) -> bool:
        """May the viewer create customers at all (they become the owner)?"""
        return self.active and not self.read_only

    def can_assign_to(self, owner) -> bool:
        """May the viewer make ``owner`` the owner of a customer?"""
        if not self.active or self.read_only or owner is None or self.role == Role.PARTNER:
            return False
        if self.is_admin or self.sees_everything:
            return True
        if owner.pk == self.viewer.pk:
            return True
        if self.role in SUBTREE_ROLES:
            return owner.team_id in self._subtree_team_ids
        return False

    def assignable_users(self):
        from kehu.org.models import User

        users = User.objects.filter(is_active=True)
        if self.role == Role.PARTNER:
            return users.none()
        if self.is_admin or self.sees_everything:
            return users
        if self.role in SUBTREE_ROLES and not self.read_only:
            return users.filter(Q(team_id__in=self._subtree_team_ids) | Q(pk=self.viewer.pk))
        return users.filter(pk=self.viewer.pk)

    def partner_choices(self):
        """The partners offered in filters and forms: a partner user's own and those below
        it; every partner for the company's people."""
        from kehu.org.models import Partner

        if not self.active:
            return Partner.objects.none()
        if self.role == Role.PARTNER:
            return Partner.objects.filter(pk__in=self.partner_ids).order_by("path")
        return Partner.objects.order_by("path")

    def visible_teams(self):
        if self.role == Role.PARTNER:
            return Team.objects.none()
        if self.sees_everything:
            return Team.objects.all()
        return Team.objects.filter(pk__in=self._subtree_team_ids)

    # -- personal information (see the module docstring) ----------------------
    def may_see_personal_data(self, customer) -> bool:
        """Phone, e-mail and ID number of ``customer`` (and its contacts) in full:
        the change scope, decided from the customer's ``owner_id``, ``team_id``
        and ``pk`` without a query unless the viewer has over
        :data:`SHARED_IDS_MAX` shares."""
        scope = self.change_scope
        if scope.everything:
            return True
        if scope.nothing or customer is None:
            return False
        if scope.owner_id is not None and customer.owner_id == scope.owner_id:
            return True
        if customer.team_id is not None and customer.team_id in scope.team_ids:
            return True
        if scope.partner_ids and getattr(customer, "partner_id", None) in scope.partner_ids:
            return True
        if scope.shared_ids is not None:
            return customer.pk in scope.shared_ids
        cache = self.__dict__.setdefault("_personal_cache", {})
        if customer.pk not in cache:
            cache[customer.pk] = self.can_change(customer)
        return cache[customer.pk]

    def may_reveal_personal_data(self, customer) -> bool:
        """A logged reveal of one masked value (besides those who see it in full)."""
        if self.may_see_personal_data(customer):
            return True
        return self.active and not self.read_only and self.role not in READ_ONLY_ROLES

    def may_export_personal_data(self, customer) -> bool:
        """The export of everything Kehu holds about one person."""
        return self.may_see_personal_data(customer)

    @property
    def may_erase_personal_data(self) -> bool:
        """Erasure on request: administrators and head-office managers."""
        return self.is_admin or (self.sees_everything and not self.read_only and self.role in SUBTREE_ROLES)

    # -- cases (服务单 / 投诉单, kehu/service) ------------------------------------
    @cached_property
    def _case_team_ids(self) -> tuple[int, ...]:
        """The teams whose cases the viewer works: their own team, and for managers,
        service agents and marketing the team's whole subtree."""
        if not self.active or not self.viewer.team_id:
            return ()
        if self.role in SUBTREE_ROLES:
            return self._subtree_team_ids
        return (self.viewer.team_id,)

    def _case_work_q(self) -> Q:
        """Cases assigned to the viewer or to their team(s), and those they registered."""
        q = Q(assignee_id=self.viewer.pk) | Q(created_by_id=self.viewer.pk)
        if self._case_team_ids:
            q |= Q(team_id__in=self._case_team_ids)
        if self.partner_ids:
            q |= Q(partner_id__in=self.partner_ids)   # routed to the partner (responsible partner)
        return q

    def visible_cases(self, qs: QuerySet | None = None) -> QuerySet:
        """Cases the viewer may see: those of the customers they may see, plus those
        assigned to them or their team (and those they registered) — a caller not yet
        matched to a customer is seen by these people only."""
        if qs is None:
            from kehu.service.models import Case

            qs = Case.objects.all()
        if not self.active:
            return qs.none()
        if self.view_scope.everything:
            return qs
        return qs.filter((Q(customer__isnull=False) & self.view_scope.q("customer__")) | self._case_work_q())

    def can_change_case(self, case) -> bool:
        """Who may work a (visible) case: not the read-only roles; whoever sees
        everything and may change; whoever may change its customer; its assignee,
        its team and whoever registered it."""
        if not self.active or self.read_only:
            return False
        if self.change_scope.everything:
            return True
        if case.assignee_id == self.viewer.pk or case.created_by_id == self.viewer.pk:
            return True
        if case.team_id is not None and case.team_id in self._case_team_ids:
            return True
        if case.partner_id is not None and case.partner_id in self.partner_ids:
            return True
        return case.customer_id is not None and self.can_change(case.customer)

    @property
    def can_register_cases(self) -> bool:
        """Register cases (about a customer the viewer may see, or an unknown caller)."""
        return self.active and not self.read_only

    # -- opportunities (商机, kehu/sales) ----------------------------------------
    def visible_opportunities(self, qs: QuerySet | None = None) -> QuerySet:
        """Opportunities the viewer may see: those of the customers they may see (a
        salesperson's own and shared customers, a manager's subtree, …)."""
        if qs is None:
            from kehu.sales.models import Opportunity

            qs = Opportunity.objects.all()
        if not self.active:
            return qs.none()
        if self.view_scope.everything:
            return qs
        # the customer's owner and team as the database keeps them on the opportunity
        return qs.filter(self.view_scope.q_on(owner="customer_owner_id", team="customer_team_id",
                                              customer="customer_id"))

    def can_change_opportunity(self, opportunity) -> bool:
        """Who may change a (visible) opportunity: not the read-only roles; whoever may
        change its customer, and its owner."""
        if not self.active or self.read_only:
            return False
        if self.change_scope.everything or opportunity.owner_id == self.viewer.pk:
            return True
        return self.can_change(opportunity.customer)

    def changeable_opportunity_ids(self, opportunities) -> set[int]:
        """The ids of those of ``opportunities`` (visible ones) the viewer may change, by
        the rule of :meth:`can_change_opportunity`, in at most one query (a board of 120 cards)."""
        opps = list(opportunities)
        if not self.active or self.read_only:
            return set()
        if self.change_scope.everything:
            return {o.pk for o in opps}
        mine = {o.pk for o in opps if o.owner_id == self.viewer.pk}
        rest = {o.customer_id for o in opps if o.pk not in mine}
        ok = set(self.changeable().filter(pk__in=rest).values_list("pk", flat=True)) if rest else set()
        return mine | {o.pk for o in opps if o.customer_id in ok}

    @property
    def can_create_opportunities(self) -> bool:
        """Open opportunities (for a customer the viewer may change)."""
        return self.active and not self.read_only

    # -- quotas and the forecast (销售指标 / 销售预测, kehu/sales/forecast.py) -------
    def visible_quotas(self, qs: QuerySet | None = None) -> QuerySet:
        """Quotas the viewer may see: a salesperson their own and their team's; managers
        (and the other subtree roles) those of the people and teams of their subtree; those
        who see everything, all."""
        if qs is None:
            from kehu.sales.models import Quota

            qs = Quota.objects.all()
        if not self.active or self.role == Role.PARTNER:
            return qs.none()
        if self.sees_everything:
            return qs
        mine = Q(user_id=self.viewer.pk)
        if self.viewer.team_id:
            mine |= Q(team_id=self.viewer.team_id)
        if self.role in SUBTREE_ROLES and self._subtree_team_ids:
            mine |= Q(user__team_id__in=self._subtree_team_ids) | Q(team_id__in=self._subtree_team_ids)
        return qs.filter(mine)

    def can_change_quota(self, *, user=None, team=None) -> bool:
        """Set a quota for ``user`` or ``team``: administrators and head-office managers for
        anyone; sales managers for the people and teams of their subtree (not their own
        quota, nor their own team's). Never the read-only roles or salespeople."""
        if not self.active or self.read_only:
            return False
        if self.is_admin or (self.sees_everything and self.role == Role.SALES_MANAGER):
            return True
        if self.role != Role.SALES_MANAGER:
            return False
        if user is not None:
            return user.pk != self.viewer.pk and user.team_id in self._subtree_team_ids
        if team is not None:
            return team.pk != self.viewer.team_id and team.pk in self._subtree_team_ids
        return bool(self._subtree_team_ids)

    @property
    def may_set_quotas(self) -> bool:
        """Whether the quota page offers to add quotas at all."""
        return self.can_change_quota()

    def forecast_people(self):
        """The salespeople whose forecast the viewer sees by name: themselves; their
        subtree (subtree roles); everyone (those who see everything)."""
        from kehu.org.models import User

        users = User.objects.all()
        if not self.active:
            return users.none()
        if self.sees_everything:
            return users
        if self.role in SUBTREE_ROLES:
            return users.filter(Q(team_id__in=self._subtree_team_ids) | Q(pk=self.viewer.pk))
        return users.filter(pk=self.viewer.pk)

    # -- key-account plans (大客户计划) and order approval (kehu/sales) -----------
    def visible_key_account_plans(self, qs: QuerySet | None = None) -> QuerySet:
        """Key-account plans the viewer may see: those of the customers they may see."""
        if qs is None:
            from kehu.sales.models import KeyAccountPlan

            qs = KeyAccountPlan.objects.all()
        if not self.active:
            return qs.none()
        if self.view_scope.everything:
            return qs
        return qs.filter(self.view_scope.q("customer__"))

    def can_change_key_account_plan(self, plan) -> bool:
        """Who writes a (visible) plan: whoever may change its customer (never the read-only roles)."""
        return self.active and not self.read_only and self.can_change(plan.customer)

    def can_approve_order(self, order) -> bool:
        """Who approves or rejects an order waiting for approval (credit limit, overdue
        payments): administrators, and sales managers who may change its customer —
        never a salesperson, not even for their own customer."""
        if not self.active:
            return False
        if self.is_admin:
            return True
        return self.role == Role.SALES_MANAGER and self.can_change(order.customer)

    # -- quotes (报价单, kehu/sales) ---------------------------------------------
    def visible_quotes(self, qs: QuerySet | None = None) -> QuerySet:
        """Quotes the viewer may see: exactly those of the customers they may see."""
        if qs is None:
            from kehu.sales.models import Quote

            qs = Quote.objects.all()
        if not self.active:
            return qs.none()
        if self.view_scope.everything:
            return qs
        return qs.filter(self.view_scope.q("customer__"))

    def can_change_quote(self, quote) -> bool:
        """Who may write, submit, send, accept a (visible) quote: not the read-only roles;
        whoever may change its customer, and its salesperson."""
        if not self.active or self.read_only:
            return False
        if self.change_scope.everything or quote.owner_id == self.viewer.pk:
            return True
        return self.can_change(quote.customer)

    def may_approve_quote(self, quote) -> bool:
        """Approve or refuse a quote over the discount ceiling: administrators, and sales
        managers who may change its customer (their team's subtree, head office all)."""
        if not self.active:
            return False
        if self.is_admin:
            return True
        return self.role == Role.SALES_MANAGER and self.can_change(quote.customer)

    # -- planned visits (拜访计划, kehu/engagement) ------------------------------
    def visible_visits(self, qs: QuerySet | None = None) -> QuerySet:
        """Planned visits the viewer may see: their own, their subtree's (subtree
        roles), everyone's for those who see everything — never to a customer the
        viewer may not see."""
        if qs is None:
            from kehu.engagement.models import PlannedVisit

            qs = PlannedVisit.objects.all()
        if not self.active:
            return qs.none()
        if self.view_scope.everything:
            return qs
        people = Q(salesperson_id=self.viewer.pk)
        if self.role in SUBTREE_ROLES and self._subtree_team_ids:
            people |= Q(salesperson__team_id__in=self._subtree_team_ids)
        return qs.filter(people).filter(self.view_scope.q("customer__"))

    def can_change_visit(self, visit) -> bool:
        """Work a (visible) visit: its salesperson while they may still see the
        customer, and whoever may change the customer; never the read-only roles."""
        if not self.active or self.read_only:
            return False
        if visit.salesperson_id == self.viewer.pk:
            return True
        return self.can_change(visit.customer)

    @property
    def sees_team_visits(self) -> bool:
        """The manager's list of visits (where and when): whoever sees more than
        their own — the subtree roles and those who see everything."""
        return self.active and (self.sees_everything or self.role in SUBTREE_ROLES)

    def visit_people(self):
        """The people whose visits the viewer may see (the filters of the lists)."""
        from kehu.org.models import User

        users = User.objects.filter(is_active=True)
        if self.sees_everything:
            return users
        if self.role in SUBTREE_ROLES:
            return users.filter(Q(team_id__in=self._subtree_team_ids) | Q(pk=self.viewer.pk))
        return users.filter(pk=self.viewer.pk)

    # -- sales performance (业绩, kehu/sales/performance.py) ---------------------
    def performance_people(self):
        """The people whose performance the viewer may see: themselves; the people of
        their team's subtree for the subtree roles; everyone for those who see everything."""
        return self.visit_people()

    @property
    def sees_leaderboard(self) -> bool:
        """A ranking of several people: whoever may see more than their own figures."""
        return self.sees_team_visits

    @property
    def may_plan_visits(self) -> bool:
        """Plan a week of visits for others (the API's plan action): managers and
        administrators."""
        return self.active and (self.is_admin or self.role == Role.SALES_MANAGER)

    @property
    def may_read_associations(self) -> bool:
        """The company-wide association rules (what is bought together, kehu/sales/xsell.py):
        administrators, analysts and sales managers. They are counts over all orders and
        name no customer; a salesperson sees the rules only as the evidence of the
        suggestions for the customers they may see."""
        return self.active and (self.is_admin or self.role in (Role.ANALYST, Role.SALES_MANAGER))
    # -- the lead pool (公海, kehu/sales/pool.py) -------------------------------------
    @cached_property
    def pool_team_ids(self) -> tuple[int, ...]:
        """The teams whose pools the viewer sees: their own team; the subtree for the subtree roles."""
        if not self.active or not self.viewer.team_id:
            return ()
        if self.role in SUBTREE_ROLES:
            return self._subtree_team_ids
        return (self.viewer.team_id,)

    def visible_pool(self, qs: QuerySet | None = None) -> QuerySet:
        """Customers in the pools the viewer may see (no owner, not merged away): the
        company pool, and the pools of their team (subtree roles: their subtree; those
        who see everything: every team)."""
        if qs is None:
            from kehu.customers.models import Customer

            qs = Customer.objects.all()
        if not self.active or self.role == Role.PARTNER:
            return qs.none()   # partner users see nothing of the pools (公海)
        # a customer served by a partner is the partner's, never a lead for anyone to claim
        qs = qs.filter(owner__isnull=True, merged_into__isnull=True, partner__isnull=True)
        if self.sees_everything:
            return qs
        return qs.filter(Q(team__isnull=True) | Q(team_id__in=self.pool_team_ids))

    @property
    def may_claim(self) -> bool:
        """Claim customers from the pools the viewer sees: everyone who may change customers."""
        return self.active and not self.read_only and self.role != Role.PARTNER

    @property
    def may_assign_pool(self) -> bool:
        """Give pool customers to others (within :meth:`can_assign_to`): managers and administrators."""
        return self.active and not self.read_only and (self.is_admin or self.role == Role.SALES_MANAGER)

    # -- employee satisfaction (kehu/surveys/staff) -----------------------------------
    @cached_property
    def employee_result_team_ids(self) -> tuple[int, ...] | None:
        """Whose employee-survey results the viewer reads: None for every team and
        the company's total (those who see everything); the team ids of their own
        team's subtree for a sales manager; () for nobody."""
        if not self.active:
            return ()
        if self.sees_everything:
            return None
        if self.role == Role.SALES_MANAGER:
            return self._subtree_team_ids
        return ()

    @property
    def may_see_employee_results(self) -> bool:
        """Whether the employee results pages, API and export answer at all."""
        return self.employee_result_team_ids is None or bool(self.employee_result_team_ids)
    @property
    def may_delete_customers(self) -> bool:
        """Delete (and merge, share) customers and delete orders: not partner users, whose
        customers' records stay with the company (the rest as :meth:`can_change`)."""
        return self.active and not self.read_only and self.role != Role.PARTNER

    # -- lookups that 404 -----------------------------------------------------
    def get_visible(self, pk, qs: QuerySet | None = None):
        try:
            return self.visible(qs).get(pk=pk)
        except (ValueError, TypeError):
            raise Http404
        except Exception as exc:  # DoesNotExist of any model
            if exc.__class__.__name__ == "DoesNotExist":
                raise Http404 from None
            raise

    def get_changeable(self, pk, qs: QuerySet | None = None):
        """The customer for a write. Visible but not changeable → 403-like
        :class:`PermissionDenied`; not visible → 404."""
        from django.core.exceptions import PermissionDenied

        customer = self.get_visible(pk, qs)
        if not self.changeable().filter(pk=customer.pk).exists():
            raise PermissionDenied
        return customer


def policy_for(viewer) -> CustomerPolicy:
    """The policy for ``viewer``, cached on the user object for one request."""
    cached = getattr(viewer, "_kehu_policy", None)
    if cached is not None:
        return cached
    policy = CustomerPolicy(viewer)
    try:
        viewer._kehu_policy = policy
    except AttributeError:
        pass
    return policy


def users_who_may_view(customer, users: QuerySet | None = None) -> QuerySet:
    """The active users (of ``users``) who may see ``customer`` — the same
    rules as :class:`CustomerPolicy`, turned round, in one query: for
    offering only people who can see a customer when giving them a task."""
    from kehu.customers.models import CustomerShare
    from kehu.org.models import User

    qs = (users if users is not None else User.objects.all()).filter(is_active=True)
    q = Q(is_superuser=True) | Q(role__in=ALL_READ_ROLES)
    q |= Q(role__in=SUBTREE_ROLES, team__parent__isnull=True)
    if customer.owner_id:
        q |= Q(pk=customer.owner_id)
    if customer.team_id:
        team = Team.objects.only("path").get(pk=customer.team_id)
        ancestors = [int(p) for p in team.path.strip("/").split("/") if p]
        q |= Q(role__in=SUBTREE_ROLES, team_id__in=ancestors)
    partner_id = getattr(customer, "partner_id", None)
    if partner_id:
        from kehu.org.models import Partner

        path = Partner.objects.filter(pk=partner_id).values_list("path", flat=True).first() or ""
        above = [int(p) for p in path.strip("/").split("/") if p] or [partner_id]
        partner_q = Q(role=Role.PARTNER, partner_id__in=above)
    else:
        partner_q = Q(pk__in=[])
    shares = list(CustomerShare.objects.filter(customer=customer).values_list("user_id", "team__path"))
    share_users = [uid for uid, _path in shares if uid]
    if share_users:
        q |= Q(pk__in=share_users)
    for _uid, path in shares:
        if path:
            q |= Q(team__path__startswith=path)
    # partner users: only through the customer's partner (or a partner above it)
    return qs.filter((q & ~Q(role=Role.PARTNER)) | partner_q)
