"""Reference data shared by the demo company and the benchmark generator.

Plain data only (no Django imports): places with their region, the steel
distributor's product catalogue, industries, and the parts Chinese customer
names are built from. It is demo *data*, so the Chinese literals are not
translated.
"""

from __future__ import annotations

# (region code, province, city, city tier)
CITIES: list[tuple[str, str, str, int]] = [
    ("north", "北京市", "北京", 1),
    ("north", "天津市", "天津", 2),
    ("north", "河北省", "石家庄", 2),
    ("north", "河北省", "唐山", 3),
    ("north", "河北省", "邯郸", 3),
    ("north", "河北省", "保定", 3),
    ("north", "山西省", "太原", 2),
    ("north", "内蒙古自治区", "包头", 3),
    ("northeast", "辽宁省", "沈阳", 2),
    ("northeast", "辽宁省", "大连", 2),
    ("northeast", "辽宁省", "鞍山", 3),
    ("northeast", "吉林省", "长春", 2),
    ("northeast", "黑龙江省", "哈尔滨", 2),
    ("east", "上海市", "上海", 1),
    ("east", "江苏省", "南京", 2),
    ("east", "江苏省", "苏州", 2),
    ("east", "江苏省", "无锡", 2),
    ("east", "江苏省", "常州", 3),
    ("east", "浙江省", "杭州", 2),
    ("east", "浙江省", "宁波", 2),
    ("east", "浙江省", "温州", 3),
    ("east", "山东省", "济南", 2),
    ("east", "山东省", "青岛", 2),
    ("east", "山东省", "潍坊", 3),
    ("east", "安徽省", "合肥", 2),
    ("east", "安徽省", "马鞍山", 3),
    ("east", "福建省", "厦门", 2),
    ("central", "湖北省", "武汉", 2),
    ("central", "湖南省", "长沙", 2),
    ("central", "河南省", "郑州", 2),
    ("central", "江西省", "南昌", 2),
    ("south", "广东省", "广州", 1),
    ("south", "广东省", "深圳", 1),
    ("south", "广东省", "佛山", 2),
    ("south", "广西壮族自治区", "南宁", 3),
    ("northwest", "陕西省", "西安", 2),
    ("northwest", "甘肃省", "兰州", 3),
    ("northwest", "新疆维吾尔自治区", "乌鲁木齐", 3),
    ("southwest", "四川省", "成都", 2),
    ("southwest", "重庆市", "重庆", 2),
    ("southwest", "云南省", "昆明", 3),
]

# A distributor in North and East China sells mostly there.
REGION_WEIGHTS = {"north": 34, "east": 40, "northeast": 7, "central": 8, "south": 5,
                  "northwest": 3, "southwest": 3}

# Product lines: (code, name, [(product name, unit, list price, cost ratio)])
PRODUCT_LINES: list[tuple[str, str, list[tuple[str, str, int, float]]]] = [
    ("PLATE", "板材 Plate", [
        ("热轧卷板 Q235B 4.75mm", "吨", 4150, 0.92),
        ("热轧卷板 Q345B 6mm", "吨", 4320, 0.91),
        ("冷轧薄板 SPCC 1.0mm", "吨", 4980, 0.90),
        ("冷轧薄板 DC01 0.8mm", "吨", 5060, 0.90),
        ("中厚板 Q345R 20mm", "吨", 4650, 0.91),
        ("中厚板 Q235B 12mm", "吨", 4380, 0.92),
        ("镀锌板 DX51D+Z 1.2mm", "吨", 5620, 0.89),
        ("彩涂板 PPGI 0.5mm", "吨", 6350, 0.87),
        ("花纹板 Q235 5mm", "吨", 4560, 0.90),
        ("不锈钢板 304 2B 2mm", "吨", 15800, 0.93),
    ]),
    ("SECTION", "型材 Sections", [
        ("H型钢 HW200×200", "吨", 3980, 0.92),
        ("H型钢 HN400×200", "吨", 4050, 0.92),
        ("工字钢 I20a", "吨", 4120, 0.91),
        ("槽钢 [16#", "吨", 4080, 0.91),
        ("角钢 L50×5", "吨", 4020, 0.91),
        ("扁钢 60×6", "吨", 4260, 0.90),
        ("螺纹钢 HRB400E Φ16", "吨", 3760, 0.94),
        ("螺纹钢 HRB400E Φ25", "吨", 3720, 0.94),
    ]),
    ("PIPE", "管材 Pipes", [
        ("焊管 DN50×3.5", "吨", 4460, 0.90),
        ("焊管 DN100×4.0", "吨", 4420, 0.90),
        ("镀锌管 DN25×2.75", "吨", 5280, 0.88),
        ("无缝管 20# Φ89×6", "吨", 5380, 0.89),
        ("无缝管 45# Φ159×8", "吨", 5560, 0.89),
        ("方矩管 100×100×4", "吨", 4580, 0.90),
        ("螺旋管 Φ529×8", "吨", 4780, 0.91),
        ("不锈钢管 304 Φ57×3", "吨", 18900, 0.92),
    ]),
    ("WIRE", "线材 Wire rod", [
        ("高线 Q195 Φ6.5", "吨", 3880, 0.93),
        ("高线 Q235 Φ8", "吨", 3920, 0.93),
        ("盘螺 HRB400E Φ10", "吨", 3960, 0.93),
        ("冷镦钢 SWRCH22A Φ5.5", "吨", 4450, 0.90),
        ("镀锌钢丝 Φ2.0", "吨", 5650, 0.86),
        ("钢绞线 1×7 Φ15.2", "吨", 5900, 0.87),
    ]),
    ("PROCESS", "加工服务 Processing services", [
        ("剪板加工", "吨", 120, 0.45),
        ("纵剪分条", "吨", 150, 0.45),
        ("激光切割", "吨", 680, 0.50),
        ("折弯成型", "吨", 420, 0.50),
        ("钻孔/冲孔", "吨", 260, 0.48),
        ("抛丸除锈", "吨", 180, 0.52),
        ("热镀锌代加工", "吨", 950, 0.62),
        ("配送到厂", "车次", 800, 0.70),
    ]),
]

# The "three guarantees" (三包) of each line: (warranty months, return within days, exchange
# within days); 0 is "none". Steel is cut, welded and formed as soon as it arrives, so no line
# takes material back; a defect (分层, 裂纹, 尺寸超差) found in the quality-objection period
# (质量异议期) after delivery is exchanged: 7 days for plate, sections and wire rod, 15 for pipe
# (defects show in the pressure test). Processing is the only service with a warranty: a
# defective cut, bend or coating is reworked free for 3 months, and a bad batch re-made
# within 15 days.
WARRANTY_TERMS: dict[str, tuple[int, int, int]] = {
    "PLATE": (0, 0, 7),
    "SECTION": (0, 0, 7),
    "PIPE": (0, 0, 15),
    "WIRE": (0, 0, 7),
    "PROCESS": (3, 0, 15),
}
# Material lines carry the mill's heat number (炉号) on some order lines; processing lines
# carry the processing batch number (加工批号).
HEAT_NUMBER_SHARE = 0.35
NO_SERIAL_UNITS = ("车次",)   # deliveries have no batch

INDUSTRIES = [
    "建筑施工", "钢结构", "机械制造", "汽车零部件", "家电制造", "船舶制造", "电力设备",
    "石油化工", "市政工程", "物流仓储", "五金制品", "农业机械", "轨道交通", "新能源",
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明晓东海波红梅春燕文博宇轩子涵欣怡浩然梓萱雨泽"
    "思远佳琪俊杰嘉豪晨阳一鸣婷婷亚男立新国庆永红振华德胜玉兰金凤淑珍"
)
COMPANY_BRANDS = [
    "华信", "恒通", "鑫盛", "宏达", "金鼎", "永泰", "中联", "汇丰", "瑞祥", "鼎盛", "德隆", "兴业", "正大",
    "隆基", "天成", "博远", "昌盛", "富源", "安泰", "新华", "泰和", "盛世", "东方", "北方", "华东", "中天",
    "长城", "华晨", "众鑫", "旭日", "海川", "广源", "嘉诚", "万达", "信达", "合力", "凯达", "三友", "金诚",
    "利民", "联合", "宝通", "远航", "华盛", "同创", "润丰", "永固", "铭泰", "源通", "盛达",
]
COMPANY_TRADES = [
    "建设工程", "钢结构工程", "机械制造", "重工机械", "汽车配件", "电器", "船舶配套", "电力设备", "管道工程",
    "五金制品", "建材贸易", "金属制品", "工程机械", "装备制造", "物资贸易", "新能源科技", "幕墙工程", "路桥建设",
]
COMPANY_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "厂"]

ENGLISH_COMPANIES = [
    "Siemens Mobility (Beijing) Co., Ltd.", "Bosch Rexroth Changzhou", "Atlas Copco Wuxi",
    "Schneider Electric Tianjin", "Caterpillar Suzhou", "Linde Material Handling Xiamen",
]
ENGLISH_PEOPLE = ["John Smith", "Anna Müller", "David Brown", "Maria Garcia", "Peter Wong", "Linda Chen"]
