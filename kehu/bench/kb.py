"""``kehu bench kb``: knowledge-base search over many articles.

Generates ``--articles`` published articles (default 50,000: synthetic but
realistic bilingual texts built from a CRM vocabulary — gas, steel, billing,
delivery — segmented by jieba exactly as the service does) into the
database of ``DATABASE_URL``, then times :func:`kehu.kb.selectors.article_search`
(the FAQ's and the API's search: query segmentation, the full-text query,
ranking, loading the 20 best articles) for a mix of Chinese and English
queries, and prints p50/p95/max. The target (issue 14): p95 ≤ 50 ms on
PostgreSQL. The generated articles carry ``source_ref="bench"`` and are
deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import time

ZH_TOPICS = [
    ("燃气表", "漏气", "关闭总阀", "抢修"), ("燃气费", "缴费", "账单", "滞纳金"), ("发票", "开具", "税号", "增值税"),
    ("钢材", "质保书", "材质证明", "补发"), ("送货", "物流", "签收", "延迟"), ("合同", "续签", "价格", "条款"),
    ("热水器", "点火", "故障", "维修"), ("安装", "预约", "上门", "师傅"), ("退货", "退款", "质量问题", "申请"),
    ("积分", "会员", "兑换", "等级"), ("密码", "登录", "账户", "重置"), ("报修", "工单", "回访", "满意度"),
]
ZH_FILLER = ["客户", "请", "我们", "服务", "工作日", "电话", "处理", "需要", "提供", "资料", "确认", "及时", "门店",
             "系统", "通知", "查询", "办理", "流程", "说明", "注意", "安全", "检查", "公司", "联系"]
EN_TOPICS = [
    ("gas", "meter", "leak", "valve"), ("invoice", "tax", "number", "vat"), ("steel", "certificate", "mill", "grade"),
    ("delivery", "truck", "address", "signature"), ("refund", "return", "quality", "claim"),
    ("password", "login", "account", "reset"), ("heater", "ignition", "repair", "engineer"),
]
EN_FILLER = ["please", "customer", "service", "within", "days", "call", "team", "check", "request", "confirm",
             "details", "office", "order", "support", "email", "contact"]
QUERIES = ["燃气表 漏气", "发票 开具", "钢材质保书", "送货延迟", "热水器点火故障", "会员积分兑换", "合同续签价格",
           "退款申请", "gas meter leak", "vat invoice", "delivery address", "password reset",
           "上门安装预约", "滞纳金", "工单回访"]


def _article(rng: random.Random, i: int) -> dict:
    zt = rng.choice(ZH_TOPICS)
    et = rng.choice(EN_TOPICS)
    title_zh = "".join(rng.sample(zt, 2)) + rng.choice(["怎么办", "如何办理", "说明", "常见问题"]) + f"（{i}）"
    body_zh = "，".join("".join(rng.sample(zt + tuple(rng.sample(ZH_FILLER, 4)), 4)) for _ in range(8)) + "。"
    title_en = " ".join(rng.sample(et, 2)).capitalize() + f" ({i})"
    body_en = " ".join(rng.choice(et + tuple(EN_FILLER)) for _ in range(40)) + "."
    return {"title_zh": title_zh, "body_zh": body_zh, "title_en": title_en, "body_en": body_en}


def generate(n: int, *, seed: int = 1, batch: int = 2000, progress=None) -> int:
    from django.db import transaction
    from django.utils import timezone

    from kehu.kb import segment
    from kehu.kb.models import Article, ArticleStatus

    rng = random.Random(seed)
    now = timezone.now()
    made = 0
    while made < n:
        rows = []
        for i in range(made, min(n, made + batch)):
            d = _article(rng, i)
            rows.append(Article(**d, status=ArticleStatus.PUBLISHED, published_at=now, source_ref="bench",
                                search_text=segment.index_text(d["title_zh"], d["title_en"], d["body_zh"],
                                                               d["body_en"])))
        with transaction.atomic():
            Article.objects.bulk_create(rows, batch_size=1000)
        made += len(rows)
        if progress:
            progress(made)
    return made


def measure(runs: int) -> dict:
    from django.db import connection

    from kehu.kb.selectors import article_search

    article_search(viewer=None, q=QUERIES[0], limit=20, published_only=True)  # warm jieba and the caches
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    times: list[float] = []
    hits: dict[str, int] = {}
    for r in range(runs):
        q = QUERIES[r % len(QUERIES)]
        t0 = time.perf_counter()
        found = article_search(viewer=None, q=q, limit=20, published_only=True)
        ms = (time.perf_counter() - t0) * 1000
        times.append(ms)
        per_query[q].append(ms)
        hits[q] = len(found)
    times.sort()
    return {
        "vendor": connection.vendor, "runs": runs,
        "p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(times[-1], 2),
        "per_query_p95_ms": {q: round(sorted(v)[int(0.95 * (len(v) - 1))], 2) for q, v in per_query.items() if v},
        "hits": hits,
    }


def run_kb_bench(*, articles: int, runs: int, seed: int, keep: bool, as_json: bool) -> int:
    import os
    import sys

    from django.db import connection

    from kehu.kb.models import Article

    t0 = time.perf_counter()
    generate(articles, seed=seed, progress=lambda n: print(f"\r{n} articles", end="", file=sys.stderr))
    print(file=sys.stderr)
    gen_s = time.perf_counter() - t0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE kb_article")  # as autovacuum would: the GIN pending list flushed
    total = Article.objects.count()
    result = measure(runs)
    result.update(articles_generated=articles, articles_in_table=total, generate_s=round(gen_s, 1),
                  machine={"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()})
    if not keep:
        Article.objects.filter(source_ref="bench").delete()
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{result['vendor']}: {total} articles, {runs} searches: p50 {result['p50_ms']} ms, "
              f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms (generated in {result['generate_s']} s)")
        for q, ms in result["per_query_p95_ms"].items():
            print(f"  {q}\tp95 {ms} ms\t{result['hits'][q]} hits")
    return 0
