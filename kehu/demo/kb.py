"""The demo company's knowledge base (知识库): bilingual articles about what
Huaxin Steel's customers ask — mill certificates (质保书/材质证明), delivery,
invoices, cutting, weights, returns — and the natural-gas service its survey
is about. Marked ``source_ref="demo"`` so that ``demo_delete`` finds them."""

from __future__ import annotations

CATEGORIES = [
    ("quality", "质量与证书", "Quality and certificates"),
    ("delivery", "物流配送", "Delivery"),
    ("billing", "发票与付款", "Invoices and payment"),
    ("processing", "加工服务", "Processing"),
    ("gas", "燃气服务", "Gas service"),
]

# (category, status, tags, title_zh, title_en, body_zh, body_en)
ARTICLES = [
    ("quality", "published", ["质保书", "材质证明"], "如何索取钢材质保书（材质证明）",
     "How to get the mill certificate for your steel",
     "每批钢材出厂时均附有钢厂质保书（材质证明），随货单一同交付。如遗失，请提供订单号和炉批号，"
     "我们将在两个工作日内通过邮件发送扫描件；需要加盖公章的复印件可在发货后一年内申请。",
     "Every batch leaves the mill with its certificate (质保书), delivered with the delivery note. If you lose it, "
     "send us the order number and the heat number: we e-mail a scan within two working days, and a stamped copy "
     "can be requested up to one year after delivery."),
    ("quality", "published", ["质量问题", "退货"], "收到的钢材有质量问题怎么办", "What to do about a quality problem",
     "请在收货后七天内拍照并记录炉批号、规格和数量，联系您的销售代表或拨打客服电话。经质检确认属于质量问题的，"
     "我们负责换货或退款，并承担往返运费。",
     "Within seven days of delivery, take photos, note the heat number, size and quantity, and contact your sales "
     "representative or our service line. When our inspection confirms the problem we replace or refund the goods "
     "and pay the freight both ways."),
    ("quality", "published", ["牌号", "标准"], "常用钢材牌号与国家标准对照", "Common steel grades and standards",
     "Q235B、Q355B 热轧板卷执行 GB/T 3274 和 GB/T 1591；螺纹钢 HRB400E 执行 GB/T 1499.2。"
     "需要美标、欧标对照的，请向销售代表索取对照表。",
     "Hot-rolled Q235B and Q355B follow GB/T 3274 and GB/T 1591; HRB400E rebar follows GB/T 1499.2. Ask your "
     "sales representative for the ASTM and EN equivalence table."),
    ("delivery", "published", ["送货", "配送"], "送货时间和配送范围", "Delivery times and area",
     "市区订单在付款确认后次日送达，周边城市两到三天。大件钢材需要卸货条件（吊车或叉车），请在下单时说明。",
     "In town we deliver the day after payment is confirmed, to nearby cities within two to three days. Heavy "
     "steel needs unloading equipment (a crane or forklift): please say so when you order."),
    ("delivery", "published", ["送货", "地址"], "如何修改送货地址", "Changing the delivery address",
     "车辆出库前可以修改送货地址，请联系销售代表；出库后修改可能产生额外运费。",
     "The delivery address can be changed until the truck leaves the warehouse; ask your sales representative. "
     "Changes after that may cost extra freight."),
    ("delivery", "published", ["过磅", "重量"], "理论重量与过磅重量的差异", "Theoretical versus weighed weight",
     "钢材按理论重量或过磅重量结算，以合同约定为准。过磅误差在千分之三以内属于正常范围。",
     "Steel is invoiced by theoretical or weighed weight, as the contract says. A difference of up to 0.3% "
     "between the two is normal."),
    ("billing", "published", ["发票", "增值税"], "如何开具增值税专用发票", "How to get a VAT special invoice",
     "开具增值税专用发票需要提供公司名称、纳税人识别号、地址电话、开户行及账号。发票在付款后三个工作日内开具，"
     "电子发票发送到您登记的邮箱。",
     "For a VAT special invoice we need the company name, taxpayer number, address and phone, bank and account "
     "number. Invoices are issued within three working days of payment; e-invoices go to your registered e-mail."),
    ("billing", "published", ["发票", "红冲"], "发票信息有误如何重开", "Correcting an invoice",
     "发票抬头或税号有误的，请在当月内联系财务红冲重开；跨月的需提供红字信息表。",
     "If the name or tax number on an invoice is wrong, contact accounts within the same month to cancel and "
     "reissue it; after the month ends a red-letter information form is needed."),
    ("billing", "published", ["付款", "账期"], "付款方式与账期", "Payment methods and terms",
     "支持银行转账、承兑汇票和在线支付。老客户可申请30天账期，需签订年度合同并通过信用评估。",
     "We accept bank transfer, bank acceptance bills and online payment. Regular customers may apply for 30-day "
     "terms with an annual contract and a credit check."),
    ("processing", "published", ["剪切", "加工"], "钢板剪切和定尺加工", "Cutting plates to size",
     "我们提供纵剪、横剪和定尺切割服务，公差±2毫米，加工费按吨计算，一般增加一个工作日交期。",
     "We slit, cut to length and cut to size, with a tolerance of ±2 mm; processing is charged per tonne and "
     "usually adds one working day to delivery."),
    ("gas", "published", ["燃气表", "漏气", "安全"], "燃气表漏气怎么办", "What to do if the gas meter leaks",
     "闻到燃气味或发现燃气表漏气时，请立即关闭总阀，打开门窗通风，不要开关电器或使用明火，到室外拨打抢修电话。",
     "If you smell gas or the meter leaks, close the main valve, open the windows, do not switch anything electric "
     "or light a flame, and call the emergency line from outside."),
    ("gas", "published", ["燃气费", "缴费"], "燃气费缴费方式", "Paying the gas bill",
     "燃气费可通过营业厅、银行代扣、手机应用缴纳。逾期未缴将按日收取滞纳金。",
     "Pay the gas bill at a service hall, by bank direct debit or in the mobile app. Late payment incurs a daily "
     "late fee."),
    ("gas", "published", ["维修", "预约"], "预约上门维修", "Booking a repair visit",
     "拨打客服电话或在线提交报修，维修人员将在24小时内与您联系预约上门时间。",
     "Call the service line or report the fault online; an engineer contacts you within 24 hours to agree on a "
     "visit."),
    ("delivery", "draft", ["送货"], "节假日送货安排（草稿）", "",
     "春节期间仓库停止发货七天，具体日期以通知为准。", ""),
]


def build_kb(*, admin) -> int:
    from kehu.kb.models import KbCategory
    from kehu.kb.services import article_create

    cats = {}
    for pos, (code, zh, en) in enumerate(CATEGORIES):
        cats[code], _created = KbCategory.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "position": pos})
    for cat, status, tags, title_zh, title_en, body_zh, body_en in ARTICLES:
        article_create(actor=admin, data={"title_zh": title_zh, "title_en": title_en, "body_zh": body_zh,
                                          "body_en": body_en, "category": cats[cat], "source_ref": "demo"},
                       tags=tags, status=status)
    return len(ARTICLES)


def delete_kb() -> None:
    from kehu.kb.models import Article, KbCategory

    Article.objects.filter(source_ref="demo").delete()
    KbCategory.objects.filter(code__in=[c for c, _zh, _en in CATEGORIES], articles__isnull=True).delete()
