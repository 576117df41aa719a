"""``kehu generate``: bulk synthetic customers, orders and order lines for benchmarks.

``--orders`` counts order *lines*: ``kehu generate --customers 1000000 --orders
10000000`` makes a million customers and ten million order lines (about 3.3
million orders at the default three lines per order).

How it stays fast:

- customer names come from a pool built once (a few tens of thousands of
  realistic Chinese person and company names) with their search keys computed
  by :func:`kehu.customers.search.name_keys`, exactly as the customer services
  compute them; nothing calls Faker per row;
- ids are assigned here (continuing after the largest id in each table, the
  sequences are reset afterwards), so orders and lines can be written without
  reading anything back;
- on PostgreSQL rows go through ``COPY ... FROM STDIN`` in large batches, one
  transaction per batch, with every index and constraint in place, and the
  tables are vacuumed and analysed at the end; on SQLite rows go through ``executemany``
  in large transactions.

The data is deliberately simple beside the demo company's: no contacts,
interactions or payment rows. Orders older than 90 days are marked fully paid.
One customer gets ``--hub-orders`` orders (1,000 by default) so that the 360
page can be measured on a customer with a long history; it is reported.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from kehu.demo import catalogue

CUSTOMER_BATCH = 50_000
ORDER_BATCH = 100_000
NAME_POOL = 40_000
YEARS = 3
BENCH_PASSWORD = "bench1234"
BASE_QTY = 60   # quantities per line: 1..BASE_QTY, times the customer's spend factor


@dataclass
class GenerateReport:
    customers: int = 0
    orders: int = 0
    order_lines: int = 0
    hub_customer_id: int | None = None
    hub_customer_ref: str = ""
    hub_orders: int = 0
    alpha_per_day: float = 0.0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# -- helpers ------------------------------------------------------------------

def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _max_id(model) -> int:
    from django.db.models import Max

    return model.objects.aggregate(m=Max("id"))["m"] or 0


class _Writer:
    """Writes rows (tuples of int, str, bool or None) into a table by column names.

    On PostgreSQL, :meth:`submit` hands a batch (several tables, one
    transaction) to one of ``workers`` threads, each with its own connection,
    so that two server processes load at once while this process makes the
    next batch; ids are assigned before, so the data does not depend on which
    thread commits first. On SQLite, and inside a transaction (whose rows other
    connections cannot see yet), batches are written in this thread.
    """

    def __init__(self, connection, workers: int = 2):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.workers = workers if self.postgres and not connection.in_atomic_block else 0
        self._pool = None
        self._pending: list = []
        self._local = None

    def _raw(self):
        """This thread's own psycopg connection (PostgreSQL workers)."""
        import threading

        if self._local is None:
            self._local = threading.local()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connection.get_new_connection(self.connection.get_connection_params())
            conn.autocommit = True
            conn.execute("SET synchronous_commit = off")
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def _copy(self, conn, table: str, columns: list[str], rows) -> None:
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in columns)
        with conn.cursor() as cur:
            with cur.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def _run_batch(self, parts) -> None:
        conn = self._raw()
        with conn.transaction():
            for table, columns, rows in parts:
                self._copy(conn, table, columns, rows)

    def submit(self, parts: list[tuple[str, list[str], list]]) -> None:
        """Write ``parts`` — (table, columns, rows) — in one transaction."""
        if not self.workers:
            from django.db import transaction

            with transaction.atomic():
                for table, columns, rows in parts:
                    self.write(table, columns, rows)
            return
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._conns = []
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kehu-copy")
        # Keep at most one batch queued per worker: bounded memory, and errors surface early.
        while len(self._pending) >= 2 * self.workers:
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(self._run_batch, parts))

    def flush(self) -> None:
        for fut in self._pending:
            fut.result()
        self._pending = []

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                for conn in self._conns:
                    conn.close()
                self._pool = None

    def timestamp(self, d: dt.datetime) -> str:
        # Django keeps UTC; SQLite stores naive text, PostgreSQL timestamptz.
        text = d.strftime("%Y-%m-%d %H:%M:%S")
        return text + "+00" if self.postgres else text

    def write(self, table: str, columns: list[str], rows) -> None:
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in columns)
        if self.postgres:
            raw = self.connection.connection  # the psycopg connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.connection.connection.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)


def _defaults(model, provided: list[str], writer: _Writer) -> tuple[list[str], tuple]:
    """Columns of ``model`` not in ``provided`` with the value Django would store by default."""
    cols, values = [], []
    for f in model._meta.concrete_fields:
        if f.column in provided or f.primary_key:
            continue
        value = f.get_default()
        if f.null and value in ("", None):
            value = None
        elif isinstance(value, bool) and not writer.postgres:
            value = int(value)
        elif value is not None and not isinstance(value, (int, str, bool)):
            value = str(value)
        cols.append(f.column)
        values.append(value)
    return cols, tuple(values)


# -- organisation, products, names ---------------------------------------------

def ensure_org(*, owners: int, rnd: random.Random) -> list[tuple[int, int]]:
    """(user id, team id) of the salespeople who will own the customers.

    Uses the existing salespeople; when there are none, creates a team tree
    (head office → 2 regions → 2 sales teams each), ``owners`` salespeople, a
    head-office sales director ``bench_director`` and an administrator
    ``bench_admin``, all with the password ``bench1234``.
    """
    from django.contrib.auth.hashers import make_password

    from kehu.org.models import Role, Team, User
    from kehu.org.services import team_create

    existing = list(User.objects.filter(role=Role.SALESPERSON, is_active=True, team__isnull=False)
                    .order_by("id").values_list("id", "team_id"))
    if existing:
        return existing
    root = Team.objects.filter(parent__isnull=True).order_by("id").first()
    if root is None:
        root = team_create(name="Head office 总部")
    leaves = list(Team.objects.filter(path__startswith=root.path).exclude(children__isnull=False))
    if leaves == [root]:
        leaves = []
        for rname in ("North region 华北区", "East region 华东区"):
            region = team_create(name=rname, parent=root)
            for i in (1, 2):
                leaves.append(team_create(name=f"{rname.split()[0]} sales {i}", parent=region))
    password = make_password(BENCH_PASSWORD)
    users = []
    for i in range(owners):
        team = leaves[i % len(leaves)]
        users.append(User(username=f"bench_sales{i + 1:03d}", role=Role.SALESPERSON, team=team,
                          display_name=f"销售{i + 1:03d}", password=password))
    if not User.objects.filter(username="bench_director").exists():
        users.append(User(username="bench_director", role=Role.SALES_MANAGER, team=root,
                          display_name="销售总监", password=password))
    if not User.objects.filter(username="bench_admin").exists():
        users.append(User(username="bench_admin", role=Role.ADMIN, team=root, display_name="管理员",
                          password=password, is_superuser=True, is_staff=True))
    User.objects.bulk_create(users)
    return list(User.objects.filter(role=Role.SALESPERSON, team__isnull=False)
                .order_by("id").values_list("id", "team_id"))


def ensure_products() -> list[tuple[int, int, int]]:
    """(product id, list price in cents, unit cost in cents); creates the catalogue when empty."""
    from decimal import Decimal

    from kehu.sales.models import Product, ProductLine

    if not Product.objects.exists():
        n = 0
        for code, name, items in catalogue.PRODUCT_LINES:
            line, _ = ProductLine.objects.get_or_create(code=code, defaults={"name": name})
            for pname, unit, price, ratio in items:
                n += 1
                Product.objects.create(ref=f"P{n:04d}", name=pname, line=line, unit=unit,
                                       unit_price=Decimal(price), unit_cost=(Decimal(price) * Decimal(str(ratio))).quantize(Decimal("0.01")))
    return [(pk, int(price * 100), int(cost * 100))
            for pk, price, cost in Product.objects.order_by("id").values_list("id", "unit_price", "unit_cost")]


def catalogue_prices() -> list[tuple[int, int]]:
    """(list price, unit cost) in cents of the demo catalogue's products, in the
    order :func:`ensure_products` creates them, without a database."""
    from decimal import Decimal

    cent = Decimal("0.01")
    return [(int(Decimal(price) * 100), int((Decimal(price) * Decimal(str(ratio))).quantize(cent) * 100))
            for _code, _name, items in catalogue.PRODUCT_LINES for _pname, _unit, price, ratio in items]


def product_weights(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """How often each product sells: popular products more (Zipf-like weights, shuffled)."""
    prod_p = 1.0 / np.arange(1, n_products + 1) ** 0.8
    return rng.permutation(prod_p / prod_p.sum())


def name_pool(rnd: random.Random, size: int) -> list[tuple[str, str, str, str, str]]:
    """``size`` realistic names: (kind, name, name_key, name_pinyin, name_initials).

    About 70% organisations, 30% individuals, a few English names.
    """
    from kehu.customers.search import name_keys

    pool, seen = [], set()
    cities = [c[2] for c in catalogue.CITIES]
    tries = 0
    while len(pool) < size and tries < size * 5:
        tries += 1
        r = rnd.random()
        if r < 0.70:
            kind = "organization"
            name = (rnd.choice(cities) + rnd.choice(catalogue.COMPANY_BRANDS)
                    + rnd.choice(catalogue.COMPANY_TRADES) + rnd.choice(catalogue.COMPANY_SUFFIXES))
        elif r < 0.995:
            kind = "individual"
            given = rnd.choice(catalogue.GIVEN) + (rnd.choice(catalogue.GIVEN) if rnd.random() < 0.7 else "")
            name = rnd.choice(catalogue.SURNAMES) + given
        else:
            kind = rnd.choice(["organization", "individual"])
            name = rnd.choice(catalogue.ENGLISH_COMPANIES if kind == "organization" else catalogue.ENGLISH_PEOPLE)
        if name in seen and tries < size * 4:
            continue
        seen.add(name)
        pool.append((kind, name, *name_keys(name)))
    return pool


MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "158", "159", "176", "177", "180", "181", "186", "187", "188", "189"]


def season_weights(days: list[dt.date]) -> np.ndarray:
    """Relative order volume per day: a Chinese New Year dip (late Jan–Feb), an
    autumn peak (Sep–Nov), quiet weekends, and growth over the years."""
    w = np.empty(len(days))
    first = days[0]
    for i, d in enumerate(days):
        m = d.month
        v = 1.0
        if m == 2 or (m == 1 and d.day > 20):
            v = 0.35
        elif m in (9, 10, 11):
            v = 1.35
        elif m in (3, 4):
            v = 1.1
        if d.weekday() >= 5:
            v *= 0.3
        v *= 1.0 + 0.1 * (d - first).days / 365
        w[i] = v
    return w / w.sum()


# -- buying behaviour ---------------------------------------------------------------

# The population's buying process (BG/NBD, Fader, Hardie & Lee 2005), per day:
# purchase rate λ ~ Gamma(r, scale 1/α) while alive, dropout probability after
# each purchase p ~ Beta(a, b). α is scaled so that the population makes the
# number of orders asked for; r, a and b keep these values. Spend: each
# customer's quantities are scaled by m ~ Gamma(SPEND_SHAPE, 1/SPEND_SHAPE)
# (mean 1), so customers differ in what they spend per order (Gamma-Gamma's
# heterogeneity), and within a customer orders vary by product and quantity.
BEHAVIOUR = {"r": 0.6, "a": 0.8, "b": 3.0}
SPEND_SHAPE = 3.0


@dataclass
class PurchaseEvents:
    """Simulated purchase days: ``customer[k]`` (index among the buyers) bought
    on day index ``day[k]``; shuffled. ``alpha`` is the per-day α used."""

    customer: np.ndarray
    day: np.ndarray
    alpha: float


def _simulate(rng: np.random.Generator, n: int, n_days: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    r, a, b = BEHAVIOUR["r"], BEHAVIOUR["a"], BEHAVIOUR["b"]
    birth = rng.random(n) * n_days                        # the first purchase, uniform over the window
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    # Purchases made before dropping out, the first included: geometric in p.
    alive_for = rng.geometric(np.clip(p, 1e-12, 1.0)) - 1  # repeat purchases allowed
    span = n_days - birth
    # Repeat purchases of a Poisson process over the span: N of them, at uniform
    # times; the customer drops out after the first `alive_for` of them.
    n_events = rng.poisson(lam * span)
    keep = np.minimum(n_events, alive_for)
    owner = np.repeat(np.arange(n), n_events)
    at = birth[owner] + rng.random(len(owner)) * span[owner]
    order = np.lexsort((at, owner))
    owner, at = owner[order], at[order]
    starts = np.cumsum(n_events) - n_events
    rank = np.arange(len(owner)) - np.repeat(starts, n_events)
    kept = rank < np.repeat(keep, n_events)
    cust = np.concatenate([np.arange(n), owner[kept]])
    day = np.concatenate([birth, at[kept]]).astype(np.int64)
    return cust, np.minimum(day, n_days - 1)


def purchase_events(rng: np.random.Generator, *, buyers: int, n_days: int, orders: int) -> PurchaseEvents:
    """About ``orders`` purchase days of ``buyers`` customers over ``n_days``
    days drawn from the BG/NBD process of :data:`BEHAVIOUR` (α found by a few
    rounds of rescaling; at least ``orders`` events are returned)."""
    if buyers <= 0 or orders <= 0:
        return PurchaseEvents(np.empty(0, np.int64), np.empty(0, np.int64), 0.0)
    alpha = 30.0
    state = rng.bit_generator.state
    for _round in range(12):
        rng.bit_generator.state = state          # the same draws each round: only α moves
        cust, day = _simulate(rng, buyers, n_days, alpha)
        ratio = len(cust) / orders
        if 1.0 <= ratio <= 1.05:
            break
        # more orders wanted: a faster rate (smaller α); dropout makes the answer sublinear
        repeats_now = max(1, len(cust) - buyers)
        repeats_wanted = max(1, int(orders * 1.02) - buyers)
        alpha *= repeats_now / repeats_wanted
    if len(cust) < orders:   # the last round fell short: top up with repeats of random events
        extra = rng.integers(0, len(cust), size=orders - len(cust))
        cust, day = np.concatenate([cust, cust[extra]]), np.concatenate([day, day[extra]])
    perm = rng.permutation(len(cust))
    return PurchaseEvents(cust[perm], day[perm], alpha)


# -- the generator --------------------------------------------------------------

def generate(*, customers: int, order_lines: int, seed: int = 1, lines_per_order: int = 3,
             owners: int = 100, hub_orders: int = 1000, progress: bool = True,
             workers: int = 2, out=None) -> GenerateReport:
    """Create ``customers`` customers and exactly ``order_lines`` order lines. See the module docstring."""
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.sales.models import Order, OrderLine
    from kehu.numbering.services import number_advance, number_floor

    out = out or sys.stdout
    t0 = time.monotonic()
    rep = GenerateReport()
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    writer = _Writer(connection, workers=workers)
    lines_per_order = max(1, lines_per_order)

    if writer.postgres:
        with connection.cursor() as cur:
            # Losing the last batches in a crash is fine for generated data.
            cur.execute("SET synchronous_commit = off")

    owner_rows = ensure_org(owners=owners, rnd=rnd)
    products = ensure_products()
    rep.timings["setup"] = time.monotonic() - t0

    t = time.monotonic()
    pool = name_pool(rnd, min(max(customers, 1), NAME_POOL))
    rep.timings["name pool"] = time.monotonic() - t

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    today = dt.date.today()
    start = today - dt.timedelta(days=365 * YEARS)
    days = [start + dt.timedelta(days=i) for i in range(1, (today - start).days + 1)]
    day_text = [d.isoformat() for d in days]
    due_text = [(d + dt.timedelta(days=30)).isoformat() for d in days]
    day_p = season_weights(days)
    now_text = writer.timestamp(now)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=customers + order_lines, unit=" rows", unit_scale=True, file=sys.stderr,
                   dynamic_ncols=True, desc="generating")

    # -- customers
    t = time.monotonic()
    c_table = Customer._meta.db_table
    c_cols = ["id", "created_at", "updated_at", "kind", "ref", "name", "name_key", "name_pinyin",
              "name_initials", "phone", "email", "region", "province", "city", "city_tier", "industry",
              "size", "gender", "age_band", "source", "lifecycle_stage", "relationship_level",
              "strategic_importance", "owner_id", "team_id"]
    rest_cols, rest_vals = _defaults(Customer, c_cols, writer)
    c_cols_all = c_cols + rest_cols
    first_cid = _max_id(Customer) + 1
    # codes above every one given out or in use, taken from the counter at once
    ref_base = number_floor("customer")
    number_advance(series="customer", to=ref_base + customers)
    cities = catalogue.CITIES
    city_w = [catalogue.REGION_WEIGHTS.get(c[0], 1) for c in cities]
    sizes = ["micro", "small", "small", "medium", "medium", "large"]
    sources = ["phone", "web", "exhibition", "referral", "visit", "other"]
    stages = ["customer"] * 6 + ["after_sales", "dormant", "at_risk", "lost", "opportunity", "potential", "target", "reserve"]
    levels = ["basic", "reactive", "accountable", "proactive", "partnership"]
    age_bands = ["18-25", "26-35", "36-45", "46-55", "56+"]
    industries = catalogue.INDUSTRIES
    owner_of = np.empty(customers, dtype=np.int64)
    n_owners = len(owner_rows)
    created_days = rng.integers(365 * YEARS, 365 * YEARS + 700, size=customers)

    for b0 in range(0, customers, CUSTOMER_BATCH):
        b1 = min(customers, b0 + CUSTOMER_BATCH)
        rows = []
        city_pick = rnd.choices(range(len(cities)), weights=city_w, k=b1 - b0)
        for i in range(b0, b1):
            kind, name, key, pinyin, initials = pool[rnd.randrange(len(pool))]
            oi = rnd.randrange(n_owners)
            owner_of[i] = oi
            uid, tid = owner_rows[oi]
            region, province, city, tier = cities[city_pick[i - b0]]
            org = kind == "organization"
            created = writer.timestamp(now - dt.timedelta(days=int(created_days[i]), seconds=rnd.randrange(86400)))
            phone = rnd.choice(MOBILE_PREFIXES) + f"{rnd.randrange(100_000_000):08d}"
            rows.append((
                first_cid + i, created, now_text, kind, f"C{ref_base + i + 1:08d}", name, key, pinyin, initials,
                phone, f"c{ref_base + i + 1}@example.com" if rnd.random() < 0.3 else "",
                region, province, city, tier,
                rnd.choice(industries) if org else "", rnd.choice(sizes) if org else "",
                "" if org else rnd.choice(("male", "female")), "" if org else rnd.choice(age_bands),
                rnd.choice(sources), rnd.choice(stages), rnd.choice(levels),
                rnd.choice(("low", "medium", "medium", "high")) if org else "",
                uid, tid, *rest_vals,
            ))
        writer.submit([(c_table, c_cols_all, rows)])
        rep.customers += len(rows)
        if bar:
            bar.update(len(rows))
    writer.flush()  # orders refer to the customers: they must be committed first
    rep.timings["customers"] = time.monotonic() - t

    # -- orders and lines
    t = time.monotonic()
    o_table, l_table = Order._meta.db_table, OrderLine._meta.db_table
    o_cols = ["id", "created_at", "updated_at", "customer_id", "ref", "order_date", "status", "currency",
              "amount", "cost", "payment_due_on", "paid_amount", "salesperson_id", "remarks"]
    l_cols = ["id", "order_id", "product_id", "description", "quantity", "unit_price", "amount", "cost"]
    first_oid, first_lid = _max_id(Order) + 1, _max_id(OrderLine) + 1
    oref_base = number_floor("order")
    n_products = len(products)
    max_qty = 4 * BASE_QTY   # a big spender's quantities, capped
    # Every (product, quantity) amount and cost, formatted once.
    price_text = [_money(p[1]) for p in products]
    amount_cents = [[p[1] * q for q in range(max_qty + 1)] for p in products]
    cost_cents = [[p[2] * q for q in range(max_qty + 1)] for p in products]
    amount_text = [[_money(c) for c in row] for row in amount_cents]
    cost_text = [[_money(c) for c in row] for row in cost_cents]
    prod_p = product_weights(rng, n_products)

    hub = min(hub_orders, max(0, order_lines // (2 * lines_per_order))) if customers else 0
    buyers = max(1, int(customers * 0.8))  # a fifth of the customers never bought
    lines_left = order_lines if customers else 0
    oid, lid, oref = first_oid, first_lid, oref_base
    recent = len(days) - 90

    # Who buys when: the hub customer's orders on seasonal days, then the other
    # buyers' purchase days from the BG/NBD process (a few per cent more than
    # needed; the loop stops when the lines are all made).
    t_sim = time.monotonic()
    wanted = max(0, -(-order_lines // lines_per_order) - hub)
    events = purchase_events(rng, buyers=buyers - 1, n_days=len(days), orders=int(wanted * 1.03) + 1) \
        if buyers > 1 else PurchaseEvents(np.empty(0, np.int64), np.empty(0, np.int64), 0.0)
    if hub and len(events.customer):
        # the hub stays the customer with the most orders (the 360 benchmark's pick)
        order = np.argsort(events.customer, kind="stable")
        sorted_c = events.customer[order]
        starts = np.searchsorted(sorted_c, sorted_c, side="left")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order)) - starts
        keep = rank < hub - 1
        events = PurchaseEvents(events.customer[keep], events.day[keep], events.alpha)
    ev_cust = np.concatenate([np.zeros(hub, np.int64), events.customer + 1])
    ev_day = np.concatenate([rng.choice(len(days), size=hub, p=day_p), events.day])
    if len(ev_cust) == 0:
        ev_cust, ev_day = np.zeros(1, np.int64), rng.choice(len(days), size=1, p=day_p)
    rep.alpha_per_day = events.alpha
    rep.timings["behaviour"] = time.monotonic() - t_sim
    spend = rng.gamma(SPEND_SHAPE, 1.0 / SPEND_SHAPE, size=max(customers, 1))
    spend[0] = 1.0
    ev_pos = 0

    while lines_left > 0:
        n_orders = ORDER_BATCH
        take = np.arange(ev_pos, ev_pos + n_orders)
        if take[-1] >= len(ev_cust):   # the events ran out (small runs): reuse the buyers' ones, not the hub's
            rest = max(1, len(ev_cust) - hub)
            take = np.where(take < len(ev_cust), take, min(hub, len(ev_cust) - 1) + (take - hub) % rest)
        ev_pos += n_orders
        cust_idx, day_idx = ev_cust[take], ev_day[take]
        n_lines = rng.integers(1, 2 * lines_per_order, size=n_orders)  # mean = lines_per_order
        total = int(n_lines.sum())
        prod_idx = rng.choice(n_products, size=total, p=prod_p).tolist()
        line_spend = np.repeat(spend[cust_idx], n_lines)
        qty = np.clip(np.rint(rng.integers(1, BASE_QTY + 1, size=total) * line_spend), 1, max_qty) \
            .astype(np.int64).tolist()
        status_r = rng.random(n_orders).tolist()
        o_rows, l_rows = [], []
        k = 0
        for j in range(n_orders):
            if lines_left <= 0:
                break
            nl = min(int(n_lines[j]), lines_left)
            lines_left -= nl
            ci = int(cust_idx[j])
            amount = cost = 0
            for _ in range(nl):
                p, q = prod_idx[k], qty[k]
                k += 1
                amount += amount_cents[p][q]
                cost += cost_cents[p][q]
                l_rows.append((lid, oid, products[p][0], "", q, price_text[p], amount_text[p][q], cost_text[p][q]))
                lid += 1
            di = int(day_idx[j])
            s = status_r[j]
            if di < recent:
                status, paid = ("cancelled", 0) if s < 0.02 else ("delivered", amount if s < 0.97 else amount // 2)
            else:
                status, paid = ("open", 0) if s < 0.3 else ("confirmed", amount if s < 0.6 else 0)
            oref += 1
            o_rows.append((oid, now_text, now_text, first_cid + ci, f"SO{oref:09d}", day_text[di], status, "CNY",
                           _money(amount), _money(cost), due_text[di], _money(paid),
                           owner_rows[int(owner_of[ci])][0], ""))
            oid += 1
        writer.submit([(o_table, o_cols, o_rows), (l_table, l_cols, l_rows)])
        rep.orders += len(o_rows)
        rep.order_lines += len(l_rows)
        if bar:
            bar.update(len(l_rows))
    writer.close()
    number_advance(series="order", to=oref)     # the order numbers used, off the counter
    rep.timings["orders"] = time.monotonic() - t
    if bar:
        bar.close()

    if hub and customers:
        rep.hub_customer_id = first_cid
        rep.hub_customer_ref = f"C{ref_base + 1:08d}"
        rep.hub_orders = hub

    t = time.monotonic()
    _reset_sequences([Customer, Order, OrderLine])
    # the kept purchase summary (kehu.sales.purchase_summary) of all the orders, in one statement
    from kehu.sales.purchase_summary import summary_rebuild

    summary_rebuild()
    rep.timings["summary"] = time.monotonic() - t
    t = time.monotonic()
    if writer.postgres:
        # VACUUM sets the visibility map, without which PostgreSQL cannot
        # answer counts from an index alone until autovacuum comes by; it
        # cannot run inside a transaction (the tests), ANALYZE can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cur:
            from kehu.sales.models import CustomerPurchaseSummary

            for table in (c_table, o_table, l_table, CustomerPurchaseSummary._meta.db_table):
                cur.execute(f"{command} {connection.ops.quote_name(table)}")
        rep.timings["analyze"] = time.monotonic() - t
    from kehu.sales.dashboard_figures import bump_sales_version

    bump_sales_version()  # COPY sends no signals: the dashboard's cached figures by hand
    rep.seconds = time.monotonic() - t0
    return rep


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    sql = connection.ops.sequence_reset_sql(no_style(), models)
    if sql:
        with connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)


def print_report(rep: GenerateReport, out=None) -> None:
    out = out or sys.stdout
    print(f"created {rep.customers:,} customers, {rep.orders:,} orders, {rep.order_lines:,} order lines "
          f"in {rep.seconds:.1f} s", file=out)
    for name, secs in rep.timings.items():
        print(f"  {name:<10} {secs:8.1f} s", file=out)
    if rep.alpha_per_day:
        print(f"buying process: BG/NBD r = {BEHAVIOUR['r']}, α = {rep.alpha_per_day:.1f} days, "
              f"a = {BEHAVIOUR['a']}, b = {BEHAVIOUR['b']}; spend factor Gamma({SPEND_SHAPE:g}, 1/{SPEND_SHAPE:g})",
              file=out)
    if rep.hub_customer_id:
        print(f"customer with {rep.hub_orders:,} orders (for the 360 benchmark): "
              f"id {rep.hub_customer_id}, code {rep.hub_customer_ref}", file=out)


# -- cases ------------------------------------------------------------------------
#
# ``kehu generate --cases N``: N synthetic cases (服务单 / 投诉单) over the customers
# already in the database (made by ``--customers`` in the same or an earlier run),
# written like the orders: ids and case numbers assigned here, COPY on PostgreSQL,
# executemany on SQLite. Each case gets its creation event on the timeline, and a
# case that has moved on a second event (the move to its current status).

CASE_BATCH = 50_000
CASE_KINDS = [("complaint", 30), ("service", 25), ("repair", 20), ("enquiry", 18), ("suggestion", 4), ("praise", 3)]
CASE_CHANNELS = [("hotline", 45), ("service_centre", 15), ("website", 15), ("email", 10), ("visit", 8),
                 ("survey", 4), ("api", 3)]
CASE_SEVERITY = [(1, 5), (2, 20), (3, 50), (4, 25)]
OPEN_MIX = [("new", 20), ("accepted", 20), ("in_progress", 45), ("waiting", 15)]
DONE_MIX = [("closed", 85), ("resolved", 10), ("return_visited", 5)]
CASE_WANTS = ["listening", "respect", "fix", "fix", "compensation", ""]
CASE_CAUSES = ["product", "service", "process", "partner", "customer", "other"]
CASE_SUBJECTS = {
    "complaint": ["燃气表读数异常，账单金额偏高", "送货延误三天仍未到货", "安装师傅态度差", "发票开具错误需重开",
                  "钢材质保书缺失", "维修后同一故障再次出现", "客服电话长时间无人接听", "停气未提前通知"],
    "service": ["申请开通燃气户", "变更账单寄送地址", "预约上门安全检查", "申请增开增值税专用发票", "过户手续咨询办理"],
    "repair": ["热水器无法点火", "燃气灶打火不着", "管道接口轻微漏气", "壁挂炉显示故障代码E1", "水表计数不走"],
    "enquiry": ["阶梯气价如何计算", "会员积分如何兑换", "保修期多长", "合同续签需要哪些资料", "网上缴费流程"],
    "suggestion": ["建议增加微信缴费提醒", "建议延长周末服务时间", "建议提供电子发票"],
    "praise": ["表扬维修师傅耐心细致", "感谢客服及时处理", "送货员服务周到"],
}
# Service levels the benchmark uses when the company has none (kind, severity, first response, resolution, minutes).
BENCH_SLA_POLICIES = [("complaint", None, 240, 24 * 60), ("complaint", 1, 60, 8 * 60), ("complaint", 2, 120, 16 * 60),
                      ("service", None, 480, 5 * 8 * 60), ("repair", None, 240, 3 * 8 * 60),
                      ("repair", 1, 60, 8 * 60), ("enquiry", None, 240, 2 * 8 * 60)]


@dataclass
class CaseReport:
    cases: int = 0
    open_cases: int = 0
    events: int = 0
    policies_created: int = 0
    seconds: float = 0.0


def _weighted(rnd: random.Random, choices, k: int) -> list:
    values, weights = zip(*choices, strict=True)
    return rnd.choices(values, weights=weights, k=k)


def ensure_sla_policies() -> int:
    """Create :data:`BENCH_SLA_POLICIES` when the company has no service-level policy; how many were made."""
    from kehu.service.models import SlaPolicy

    if SlaPolicy.objects.exists():
        return 0
    SlaPolicy.objects.bulk_create([SlaPolicy(kind=k, severity=s, first_response_minutes=f, resolution_minutes=r)
                                   for k, s, f, r in BENCH_SLA_POLICIES])
    return len(BENCH_SLA_POLICIES)


def generate_cases(*, cases: int, seed: int = 1, progress: bool = False, workers: int = 2,
                   now: dt.datetime | None = None) -> CaseReport:
    """``cases`` cases over the existing customers (see the block comment above).

    Spread: kinds, channels and severities as a call centre sees them; created over
    the last three years (more recently, as volume grows); about 10% open — most of
    the recent ones, a few old ones stuck (the backlog's tail); the assignee is the
    customer's owner (a few open ones unassigned), the team the owner's. The due
    times are those of the service-level policies on the working calendar (the
    :data:`BENCH_SLA_POLICIES` when there are none), so old open cases breach and
    recent ones do not yet; resolved cases mostly met their promise.
    """
    from django.db import connection

    from kehu.analytics import sla as pure
    from kehu.analytics.working_time import calendar_deadline
    from kehu.customers.models import Customer
    from kehu.numbering.models import Counter
    from kehu.service.models import Case, CaseCategory, CaseEvent
    from kehu.service.sla import _pure_policy, working_calendar
    from kehu.service.models import SlaPolicy

    t0 = time.monotonic()
    rep = CaseReport()
    if cases <= 0:
        return rep
    rnd = random.Random(seed * 7919 + 14)
    writer = _Writer(connection, workers=workers)
    if writer.postgres:
        with connection.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
    customers = list(Customer.objects.order_by("id").values_list("id", "owner_id", "team_id"))
    if not customers:
        raise ValueError("no customers to register cases for: run `kehu generate --customers N` first")
    rep.policies_created = ensure_sla_policies()
    policies = [_pure_policy(p) for p in SlaPolicy.objects.all()]
    calendar = working_calendar()
    products = [p[0] for p in ensure_products()]
    leaves = list(CaseCategory.objects.filter(children__isnull=True).values_list("id", flat=True)) or [None]
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    horizon = 365 * YEARS * 86400

    # Case numbers: CS + the day + 5 digits, one counter per day; start above what is given out.
    floors: dict[str, int] = dict(Counter.objects.filter(name__startswith="case-").values_list("name", "value"))
    for ref in Case.objects.filter(ref__regex=r"^CS[0-9]{13,}$").values_list("ref", flat=True).iterator():
        name = f"case-{ref[2:10]}"
        floors[name] = max(floors.get(name, 0), int(ref[10:]))
    used: dict[str, int] = {}

    promise_of: dict[tuple, tuple] = {}

    def promises(kind: str, severity: int):
        key = (kind, severity)
        if key not in promise_of:
            p = pure.resolve_policy(policies, kind=kind, severity=severity, tier=None)
            promise_of[key] = (p.first_response, p.resolution) if p else (None, None)
        return promise_of[key]

    def due(start: dt.datetime, promise):
        if promise is None:
            return None
        if promise.calendar_hours:
            return calendar_deadline(start, promise.duration)
        return calendar.deadline(start, promise.duration).astimezone(dt.timezone.utc)

    c_table, e_table = Case._meta.db_table, CaseEvent._meta.db_table
    c_cols = ["id", "created_at", "updated_at", "ref", "kind", "channel", "status", "severity", "customer_id",
              "serial_number", "product_id", "category_id", "wants", "subject", "description", "team_id",
              "assignee_id", "created_by_id", "validity", "cause_category", "root_cause", "resolution",
              "version", "first_response_due", "resolution_due", "first_responded_at", "sla_paused",
              "resolved_at", "closed_at"]
    rest_cols, rest_vals = _defaults(Case, c_cols, writer)
    c_cols_all = c_cols + rest_cols
    e_cols = ["id", "case_id", "actor_id", "at", "kind", "from_status", "to_status", "note", "internal"]
    case_id, event_id = _max_id(Case) + 1, _max_id(CaseEvent) + 1
    ts = writer.timestamp

    def opt(d):
        return ts(d) if d is not None else None

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cases, unit=" cases", unit_scale=True, file=sys.stderr, dynamic_ncols=True,
                   desc="cases")
    for b0 in range(0, cases, CASE_BATCH):
        n = min(cases, b0 + CASE_BATCH) - b0
        kinds = _weighted(rnd, CASE_KINDS, n)
        channels = _weighted(rnd, CASE_CHANNELS, n)
        severities = _weighted(rnd, CASE_SEVERITY, n)
        c_rows, e_rows = [], []
        for j in range(n):
            # Volume grows over the years: age drawn with more weight on recent days.
            age = int(horizon * (1 - rnd.random() ** 0.8))
            created = now - dt.timedelta(seconds=age)
            days_old = age / 86400
            p_open = 0.9 if days_old < 30 else 0.6 if days_old < 90 else 0.05
            is_open = rnd.random() < p_open
            status = _weighted(rnd, OPEN_MIX if is_open else DONE_MIX, 1)[0]
            kind, severity = kinds[j], severities[j]
            cid, owner_id, team_id = customers[rnd.randrange(len(customers))]
            assignee = None if (status == "new" and rnd.random() < 0.4) else owner_id
            first_p, res_p = promises(kind, severity)
            first_due, res_due = due(created, first_p), due(created, res_p)
            responded = resolved = closed = None
            if status != "new":
                # answered mostly within the promise
                limit = (first_due - created) if first_due else dt.timedelta(hours=4)
                responded = min(now, created + limit * rnd.uniform(0.1, 1.3))
            if not is_open:
                limit = (res_due - created) if res_due else dt.timedelta(days=3)
                resolved = min(now, created + limit * rnd.uniform(0.2, 1.25))
                if status == "closed":
                    closed = min(now, resolved + dt.timedelta(hours=rnd.uniform(1, 96)))
            day = created.astimezone(calendar.zone).strftime("%Y%m%d")
            series = f"case-{day}"
            k = used.get(series, floors.get(series, 0)) + 1
            used[series] = k
            ref = f"CS{day}{k:05d}"
            subject = rnd.choice(CASE_SUBJECTS[kind])
            complaint = kind == "complaint"
            done = resolved is not None
            c_rows.append((
                case_id, ts(created), ts(closed or resolved or responded or created), ref, kind, channels[j],
                status, severity, cid,
                f"SN{rnd.randrange(10**9):09d}" if kind == "repair" else "",
                rnd.choice(products) if kind in ("repair", "complaint") and products and rnd.random() < 0.6 else None,
                rnd.choice(leaves), rnd.choice(CASE_WANTS) if complaint else "", subject,
                f"{subject}。客户来电反映，请尽快处理。", team_id, assignee, assignee,
                ("valid" if rnd.random() < 0.9 else "invalid") if complaint and status != "new" else "",
                rnd.choice(CASE_CAUSES) if done and complaint else "",
                "原因已查明。" if done and complaint else "", "已处理，客户认可。" if done else "",
                2 if status == "new" else 3, opt(first_due), opt(res_due), opt(responded), "[]",
                opt(resolved), opt(closed), *rest_vals,
            ))
            e_rows.append((event_id, case_id, assignee, ts(created), "created", "", "new", "", False))
            event_id += 1
            if status != "new":
                before = {"accepted": "new", "in_progress": "accepted", "waiting": "in_progress",
                          "resolved": "in_progress", "return_visited": "resolved", "closed": "resolved"}[status]
                at = closed or resolved or responded
                e_rows.append((event_id, case_id, assignee, ts(at), "transition", before, status, "", False))
                event_id += 1
            case_id += 1
            rep.open_cases += is_open
        writer.submit([(c_table, c_cols_all, c_rows), (e_table, e_cols, e_rows)])
        rep.cases += len(c_rows)
        rep.events += len(e_rows)
        if bar:
            bar.update(len(c_rows))
    writer.close()
    if bar:
        bar.close()
    for series, value in used.items():
        number_advance_to(series, value)
    _reset_sequences([Case, CaseEvent])
    if writer.postgres:
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cur:
            for table in (c_table, e_table):
                cur.execute(f"{command} {connection.ops.quote_name(table)}")
    rep.seconds = time.monotonic() - t0
    return rep


def number_advance_to(series: str, value: int) -> None:
    """Raise a day's case counter to ``value`` (one statement; made when missing)."""
    from kehu.numbering.models import Counter

    updated = Counter.objects.filter(name=series, value__lt=value).update(value=value)
    if not updated and not Counter.objects.filter(name=series).exists():
        Counter.objects.create(name=series, value=value)


def print_case_report(rep: CaseReport, out=None) -> None:
    out = out or sys.stdout
    print(f"created {rep.cases:,} cases ({rep.open_cases:,} open) and {rep.events:,} timeline events "
          f"in {rep.seconds:.1f} s", file=out)
    if rep.policies_created:
        print(f"  {rep.policies_created} service-level policies created (the company had none)", file=out)
