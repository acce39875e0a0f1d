"""Demo service catalog for 清波街道 and 望江街道: items with full guides and materials, announcements,
and the catalog permissions of the built-in roles.

Idempotent: items are found by code and announcements by title and publisher; nothing is duplicated and
nothing already there is overwritten (an item built by an older demo gets the fields set since where they
are blank and no office chose them: LATER_FIELDS, and its 可容缺 materials: TOLERABLE).
"""

from __future__ import annotations

import io
from datetime import timedelta

import xlsxwriter
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from jiedao.accounts.models import Role
from jiedao.audit.models import AuditEvent
from jiedao.catalog import audit_events as events
from jiedao.catalog.choices import (
    AnnouncementCategory,
    Audience,
    Availability,
    CertificateKind,
    DeliveryMethod,
    ItemKind,
    LifeEvent,
    MaterialForm,
    PowerType,
)
from jiedao.catalog.models import Announcement, Material, ServiceItem
from jiedao.core.demo import resolve_permissions
from jiedao.orgs.models import OrgUnit

VIEW = ("catalog.view_serviceitem", "catalog.view_announcement")
ROLE_PERMISSIONS = {
    # 办公室人员 (本级): maintains the sub-district's catalog and announcements.
    "office-staff": ("catalog.*",),
    "subdistrict-leader": (*VIEW, "catalog.publish_serviceitem", "catalog.publish_announcement"),
    "district-leader": VIEW,
    "window-staff": VIEW,
    "approver": VIEW,
    "supervisor": VIEW,
    # 社区工作人员: community announcements (停水通知, 活动) and the community's own items.
    "community-staff": (
        *VIEW,
        "catalog.add_announcement",
        "catalog.change_announcement",
        "catalog.publish_announcement",
    ),
}

HOURS = "工作日 9:00-12:00，13:30-17:00（法定节假日除外）"
SUBDISTRICTS = {
    "清波街道": {
        "prefix": "QB",
        "address": "清波街道便民服务中心 {window}号窗口（明湖区清波路 88 号一楼）",
        "phone": "0571-87021001",
        "complaint": "0571-87021099（街道纪工委），或拨打 12345",
        "community": "柳浪社区",
        "community_address": "柳浪社区党群服务中心服务窗口（柳浪路 12 号）",
        "community_phone": "0571-87021301",
        "chief": "王晓梅",
    },
    "望江街道": {
        "prefix": "WJ",
        "address": "望江街道便民服务中心 {window}号窗口（明湖区望江路 126 号）",
        "phone": "0571-87052001",
        "complaint": "0571-87052099（街道纪工委），或拨打 12345",
        "community": "江城社区",
        "community_address": "江城社区党群服务中心服务窗口（江城路 35 号）",
        "community_phone": "0571-87052301",
        "chief": "钱丽华",
    },
}

ID_CARD = ("申请人居民身份证", MaterialForm.ORIGINAL_AND_COPY, 1, True, "核对原件后退还，留存复印件")
HUKOU = ("户口簿", MaterialForm.ORIGINAL_AND_COPY, 1, True, "户主页及本人页")

# 可容缺 materials (容缺受理清单): (code suffix, material name). Proof of a lease or a job for a 居住证 can
# follow the application, and 临时救助 helps first and takes the hardship's papers afterwards (先行救助后补办).
TOLERABLE = {
    ("GA-001", "劳动合同、营业执照或就读证明（任选一项）"),
    ("GA-001", "房屋租赁合同或房产证明"),
    ("MZ-005", "困难情况证明（医疗费用票据、事故证明等）"),
}

# code suffix, window, level ("sub" or "community"), fields, materials
ITEMS = [
    (
        "MZ-001",
        1,
        "sub",
        {
            "name": "最低生活保障（低保）申请",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HARDSHIP, LifeEvent.DISABILITY, LifeEvent.ELDERLY],
            "department": "社会事务科",
            "legal_basis": "《社会救助暂行办法》（国务院令第649号）第九条至第十三条；\n"
            "《城市居民最低生活保障条例》（国务院令第271号）第七条、第八条；\n"
            "《最低生活保障审核确认办法》（民发〔2021〕57号）。",
            "conditions": "1. 持有本地户籍，在本街道实际居住；\n"
            "2. 共同生活的家庭成员人均收入低于当地最低生活保障标准；\n"
            "3. 家庭财产状况符合当地规定（无机动车辆、非生活必需的房产等）。",
            "steps": "1. 申请：到便民服务中心窗口或网上提出书面申请；\n"
            "2. 受理：材料齐全的当场受理，不齐全的一次性告知补正；\n"
            "3. 调查：入户调查、邻里访问，核对家庭经济状况；\n"
            "4. 公示：在社区公示栏公示 7 天；\n"
            "5. 审核确认：街道审核确认，书面告知结果，办结后公示。",
            "statutory_limit_days": 30,
            "promised_limit_days": 20,
            "availability": Availability.ONLINE,
            "process_key": "dibao",
            "publishes_result": True,
            "responsibility": "受理申请；组织入户调查和家庭经济状况核对；民主评议与公示；审核确认并发放保障金；动态管理。",
            "accountability": "对符合条件的申请不予受理或审核确认；对不符合条件的予以确认；"
            "超过时限办理；泄露申请人个人信息；截留、挪用保障金的，依法依规追究责任。",
        },
        [
            ("最低生活保障申请书", MaterialForm.ORIGINAL, 1, True, "申请人签字"),
            ID_CARD,
            HUKOU,
            ("家庭成员收入证明", MaterialForm.ORIGINAL, 1, True, "单位出具或本人书面承诺"),
            ("家庭经济状况核对授权书", MaterialForm.ORIGINAL, 1, True, "共同生活家庭成员均须签字"),
            ("残疾证或病历资料", MaterialForm.COPY, 1, False, "家庭成员有残疾或重病的提供"),
        ],
    ),
    (
        "RS-001",
        2,
        "sub",
        {
            "name": "就业创业证（再就业优惠证）申领",
            "delivery_methods": [DeliveryMethod.WINDOW, DeliveryMethod.MAIL],
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.EMPLOYMENT, LifeEvent.BUSINESS],
            "department": "劳动保障所",
            "legal_basis": "《就业服务与就业管理规定》（人力资源和社会保障部令第28号修订）第六十一条至第六十三条；\n"
            "《国务院关于进一步做好新形势下就业创业工作的意见》（国发〔2015〕23号）。",
            "conditions": "法定劳动年龄内、有劳动能力和就业要求、处于失业状态的城乡劳动者，"
            "或需享受就业创业扶持政策的人员。",
            "steps": "1. 申请人网上或窗口申请；\n2. 劳动保障所核验身份和就业失业状态；\n"
            "3. 符合条件的登记发证，办结后公示；\n4. 不符合条件的书面说明理由。",
            "statutory_limit_days": 10,
            "promised_limit_days": 5,
            "availability": Availability.ONLINE,
            "process_key": "jiuye_chuangye_zheng",
            "publishes_result": True,
            "responsibility": "受理就业失业登记；核验就业失业状态；发放《就业创业证》；落实就业扶持政策。",
            "accountability": "对符合条件的人员不予登记发证、违规发证或超过时限办理的，依法依规追究责任。",
        },
        [
            ID_CARD,
            ("近期一寸免冠照片", MaterialForm.ORIGINAL, 2, True, ""),
            ("失业（解除劳动合同）证明", MaterialForm.COPY, 1, False, "有原单位的提供"),
        ],
    ),
    (
        "MZ-002",
        1,
        "sub",
        {
            "name": "特困人员救助供养",
            "kind": ItemKind.REFERRED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HARDSHIP, LifeEvent.ELDERLY, LifeEvent.DISABILITY],
            "department": "社会事务科",
            "legal_basis": "《社会救助暂行办法》（国务院令第649号）第十四条至第十九条；\n"
            "《国务院关于进一步健全特困人员救助供养制度的意见》（国发〔2016〕14号）；\n"
            "《特困人员认定办法》（民发〔2021〕43号）。",
            "conditions": "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或者其法定义务人无履行义务能力的"
            "老年人、残疾人以及未满 16 周岁的未成年人。",
            "steps": "1. 本人或委托他人申请；\n2. 街道受理并调查核实；\n3. 社区公示 7 天；\n"
            "4. 街道提出审核意见报区民政局确认；\n5. 办结后告知结果。",
            "statutory_limit_days": 20,
            "promised_limit_days": 15,
            "availability": Availability.ONLINE,
            "process_key": "tekun_gongyang",
            "responsibility": "受理申请；调查核实；提出审核意见并上报；落实基本生活和照料护理。",
            "accountability": "审核不严、超过时限或截留挪用供养资金的，依法依规追究责任。",
        },
        [
            ("特困人员救助供养申请书", MaterialForm.ORIGINAL, 1, True, ""),
            ID_CARD,
            HUKOU,
            ("残疾证或医疗诊断证明", MaterialForm.COPY, 1, False, "残疾或重病的提供"),
        ],
    ),
    (
        "CL-001",
        3,
        "sub",
        {
            "name": "残疾人两项补贴（困难残疾人生活补贴和重度残疾人护理补贴）",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.DISABILITY, LifeEvent.HARDSHIP],
            "department": "残联工作站",
            "legal_basis": "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）；\n"
            "《中华人民共和国残疾人保障法》第四十八条。",
            "conditions": "生活补贴：持第二代残疾人证，且为低保或低保边缘家庭的残疾人；\n"
            "护理补贴：持第二代残疾人证，残疾等级为一级、二级且需长期照护的重度残疾人。",
            "steps": "1. 网上或窗口申请；\n2. 街道受理初审；\n3. 区残联、民政局审核；\n4. 按月发放，办结后公示。",
            "statutory_limit_days": 15,
            "promised_limit_days": 10,
            "availability": Availability.ONLINE,
            "process_key": "canji_liangxiang_butie",
            "publishes_result": True,
            "responsibility": "受理申请；初审并上报；补贴发放的动态管理。",
            "accountability": "对符合条件者不予受理、违规认定或超过时限办理的，依法依规追究责任。",
        },
        [
            ("残疾人两项补贴申请审批表", MaterialForm.ORIGINAL, 1, True, ""),
            ("第二代残疾人证", MaterialForm.ORIGINAL_AND_COPY, 1, True, ""),
            ID_CARD,
            ("银行账户（社会保障卡）", MaterialForm.COPY, 1, True, "用于补贴发放"),
        ],
    ),
    (
        "TY-001",
        4,
        "sub",
        {
            "name": "优抚对象抚恤金领取",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.VETERAN],
            "department": "退役军人服务站",
            "legal_basis": "《军人抚恤优待条例》（国务院、中央军事委员会令第788号）；\n"
            "《中华人民共和国退役军人保障法》第六十二条。",
            "conditions": "经认定的残疾军人、烈士遗属、因公牺牲军人遗属、病故军人遗属及在乡复员军人等优抚对象。",
            "steps": "1. 携带材料到窗口申请；\n2. 退役军人服务站核验身份和优抚资格；\n"
            "3. 报区退役军人事务局审核；\n4. 按规定发放抚恤金。",
            "statutory_limit_days": 20,
            "promised_limit_days": 10,
            "availability": Availability.OFFLINE,
            "responsibility": "受理申请；核验资格；上报审核；抚恤金发放情况的年度确认。",
            "accountability": "违规认定、截留挪用抚恤金或超过时限办理的，依法依规追究责任。",
        },
        [
            ID_CARD,
            ("优抚对象证件（残疾军人证、烈属证等）", MaterialForm.ORIGINAL_AND_COPY, 1, True, ""),
            ("银行账户（社会保障卡）", MaterialForm.COPY, 1, True, ""),
        ],
    ),
    (
        "MZ-003",
        1,
        "sub",
        {
            "name": "社会组织（社区社会组织）登记备案",
            "delivery_methods": [DeliveryMethod.WINDOW],
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.CONFIRMATION,
            "audience": Audience.BOTH,
            "life_events": [LifeEvent.COMMUNITY],
            "department": "社区建设科",
            "legal_basis": "《社会团体登记管理条例》（国务院令第250号，2016年修订）；\n"
            "《民政部关于大力培育发展社区社会组织的意见》（民发〔2017〕191号）。",
            "conditions": "在本街道范围内开展活动、有规范名称和章程、有固定联系人，"
            "会员或参与者主要为本社区居民的社区社会组织。",
            "steps": "1. 社区党组织出具意见；\n2. 向街道提交备案材料；\n3. 街道审核后予以备案并发放备案证明。",
            "statutory_limit_days": 20,
            "promised_limit_days": 10,
            "availability": Availability.ONLINE,
            "process_key": "shehui_zuzhi_beian",
            "responsibility": "受理备案；审查章程和负责人情况；日常指导和年度检查。",
            "accountability": "对不符合条件的予以备案或超过时限办理的，依法依规追究责任。",
        },
        [
            ("社区社会组织备案申请表", MaterialForm.ORIGINAL, 1, True, ""),
            ("组织章程", MaterialForm.ORIGINAL, 1, True, ""),
            ("负责人居民身份证", MaterialForm.COPY, 1, True, ""),
            ("社区党组织意见", MaterialForm.ORIGINAL, 1, True, ""),
        ],
    ),
    (
        "MZ-004",
        1,
        "sub",
        {
            "name": "居家养老服务补贴申请",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.ELDERLY],
            "department": "社会事务科",
            "legal_basis": "《中华人民共和国老年人权益保障法》第三十七条；\n《浙江省社会养老服务促进条例》第二十三条。",
            "conditions": "本地户籍、年满 60 周岁，且为低保、低保边缘、特困家庭或经评估失能、半失能的老年人。",
            "steps": "1. 网上或窗口申请；\n2. 社区入户评估照护等级；\n3. 街道审核；\n4. 按月发放服务补贴。",
            "statutory_limit_days": 20,
            "promised_limit_days": 10,
            "availability": Availability.ONLINE,
            "process_key": "yanglao_fuwu_butie",
            "responsibility": "受理申请；组织能力评估；审核并落实服务补贴。",
            "accountability": "违规认定、截留挪用补贴或超过时限办理的，依法依规追究责任。",
        },
        [("居家养老服务补贴申请表", MaterialForm.ORIGINAL, 1, True, ""), ID_CARD, HUKOU],
    ),
    (
        "WS-001",
        5,
        "sub",
        {
            "name": "家庭医生签约及居家医疗护理服务",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HEALTH, LifeEvent.ELDERLY, LifeEvent.DISABILITY],
            "department": "社区卫生服务中心",
            "legal_basis": "《关于推进家庭医生签约服务的指导意见》（国医改办发〔2016〕1号）；\n"
            "《中华人民共和国基本医疗卫生与健康促进法》第三十一条。",
            "conditions": "辖区常住居民，优先老年人、孕产妇、儿童、残疾人及慢性病患者。",
            "steps": "1. 网上或窗口提出签约申请；\n2. 社区卫生服务中心安排家庭医生团队；\n"
            "3. 签订服务协议；\n4. 需居家医疗护理的，评估后上门服务。",
            "statutory_limit_days": 5,
            "promised_limit_days": 3,
            "fee": "基本签约服务不收费；个性化服务包按物价部门核定标准收费",
            "fee_basis": "《浙江省医疗服务价格项目目录》",
            "availability": Availability.ONLINE,
            "process_key": "jiating_yisheng",
        },
        [ID_CARD, ("医保卡（社会保障卡）", MaterialForm.ORIGINAL, 1, True, "")],
    ),
    (
        "MZ-005",
        1,
        "sub",
        {
            "name": "临时救助（困难救助）申请",
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.BENEFIT,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HARDSHIP],
            "department": "社会事务科",
            "legal_basis": "《社会救助暂行办法》（国务院令第649号）第四十七条至第五十条；\n"
            "《国务院关于全面建立临时救助制度的通知》（国发〔2014〕47号）。",
            "conditions": "因火灾、交通事故等意外事件，家庭成员突发重大疾病等原因，"
            "导致基本生活暂时出现严重困难的家庭或个人。",
            "steps": "1. 申请；\n2. 受理和调查核实；\n3. 社区公示（紧急情况先行救助后补办）；\n4. 街道审批并发放。",
            "statutory_limit_days": 15,
            "promised_limit_days": 7,
            "availability": Availability.ONLINE,
            "process_key": "linshi_jiuzhu",
            "publishes_result": True,
            "responsibility": "受理申请；调查核实；急难情况先行救助；审批发放。",
            "accountability": "对急难情况未及时救助、违规审批或超过时限办理的，依法依规追究责任。",
        },
        [
            ("临时救助申请书", MaterialForm.ORIGINAL, 1, True, ""),
            ID_CARD,
            ("困难情况证明（医疗费用票据、事故证明等）", MaterialForm.COPY, 1, True, ""),
        ],
    ),
    (
        "GA-001",
        6,
        "sub",
        {
            "name": "居住证办理（受理）",
            "delivery_methods": [DeliveryMethod.WINDOW, DeliveryMethod.MAIL],
            "kind": ItemKind.REFERRED,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HOUSING, LifeEvent.SCHOOL, LifeEvent.EMPLOYMENT],
            "department": "流动人口服务站",
            "legal_basis": "《居住证暂行条例》（国务院令第663号）第二条、第九条、第十条；\n《浙江省流动人口居住登记条例》。",
            "conditions": "离开常住户口所在地，到本街道居住半年以上，"
            "并有合法稳定就业、合法稳定住所或者连续就读条件之一的公民。",
            "steps": "1. 网上或窗口申请；\n2. 街道流动人口服务站受理并核验；\n"
            "3. 上报公安派出所审核制证；\n4. 领取居住证。",
            "statutory_limit_days": 15,
            "promised_limit_days": 10,
            "availability": Availability.ONLINE,
            "process_key": "juzhuzheng",
            "responsibility": "受理申请；核验居住、就业或就读情况；上报公安机关制证；送达。",
            "accountability": "对符合条件的申请不予受理或超过时限办理的，依法依规追究责任。",
        },
        [
            ID_CARD,
            ("居住登记凭证", MaterialForm.ORIGINAL, 1, True, "已办理居住登记满半年"),
            ("劳动合同、营业执照或就读证明（任选一项）", MaterialForm.COPY, 1, True, ""),
            ("房屋租赁合同或房产证明", MaterialForm.COPY, 1, True, ""),
        ],
    ),
    (
        "QY-001",
        7,
        "sub",
        {
            "name": "企业开办全程代办",
            "delivery_methods": [DeliveryMethod.WINDOW, DeliveryMethod.MAIL],
            "kind": ItemKind.REFERRED,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.ENTERPRISE,
            "life_events": [LifeEvent.BUSINESS],
            "department": "经济服务中心",
            "legal_basis": "《优化营商环境条例》（国务院令第722号）第十九条、第三十七条；\n"
            "《中华人民共和国市场主体登记管理条例》（国务院令第746号）。",
            "conditions": "拟在本街道辖区内开办企业（含个体工商户）的申请人，自愿委托街道代办员代办。",
            "steps": "1. 网上或窗口提出代办申请；\n2. 代办员一次性告知并核对材料；\n"
            "3. 代办营业执照、公章刻制、税务登记、社保和公积金开户；\n4. 代办完成后通知领取。",
            "statutory_limit_days": 3,
            "promised_limit_days": 1,
            "fee": "代办服务不收费（公章刻制费用由企业自行承担）",
            "fee_basis": "《优化营商环境条例》第十九条",
            "availability": Availability.ONLINE,
            "process_key": "qiye_kaiban",
            "responsibility": "一次性告知；全程代办并跟踪进度；按时通知领取。",
            "accountability": "未一次性告知、推诿拖延或违规收费的，依法依规追究责任。",
        },
        [
            ("企业开办代办委托书", MaterialForm.ORIGINAL, 1, True, ""),
            ("全体股东（投资人）身份证件", MaterialForm.COPY, 1, True, ""),
            ("公司章程", MaterialForm.ORIGINAL, 1, True, "个体工商户不需要"),
            ("住所（经营场所）使用证明", MaterialForm.COPY, 1, True, ""),
        ],
    ),
    (
        "SQ-001",
        0,
        "community",
        {
            "name": "居住证明开具",
            "delivery_methods": [DeliveryMethod.WINDOW],
            "kind": ItemKind.INSTANT,
            "power_type": PowerType.CONFIRMATION,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.HOUSING, LifeEvent.SCHOOL],
            "department": "社区服务站",
            "legal_basis": "《居住证暂行条例》（国务院令第663号）第六条；\n《浙江省流动人口居住登记条例》第十条。",
            "conditions": "在本社区实际居住的居民，因入学、就业等需要证明居住情况的。",
            "steps": "1. 本人携带材料到社区服务窗口；\n2. 工作人员核对居住登记信息；\n3. 当场出具居住证明。",
            "statutory_limit_days": 1,
            "promised_limit_days": 0,
            "availability": Availability.OFFLINE,
            "certificate_kind": CertificateKind.RESIDENCE,
        },
        [ID_CARD, ("房屋租赁合同或房产证明", MaterialForm.ORIGINAL_AND_COPY, 1, True, "")],
    ),
    (
        "LN-001",
        2,
        "sub",
        {
            "name": "老年优待证办理",
            "delivery_methods": [DeliveryMethod.WINDOW, DeliveryMethod.MAIL],
            "kind": ItemKind.INSTANT,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.ELDERLY],
            "department": "社会事务科",
            "legal_basis": "《中华人民共和国老年人权益保障法》第五十七条至第六十二条；\n"
            "《浙江省实施〈中华人民共和国老年人权益保障法〉办法》。",
            "conditions": "年满 60 周岁的本地户籍老年人，或在本街道居住并持有居住证的老年人。",
            "steps": "1. 本人或家属携带材料到窗口；\n2. 核验身份；\n3. 当场制发老年优待证。",
            "statutory_limit_days": 1,
            "promised_limit_days": 0,
            "availability": Availability.OFFLINE,
        },
        [ID_CARD, ("近期一寸免冠照片", MaterialForm.ORIGINAL, 1, True, "")],
    ),
]
# Drafts to show publishing: created unpublished in 望江街道.
DRAFT_ITEMS = [
    (
        "TY-002",
        4,
        {
            "name": "退役军人优待证申领",
            "delivery_methods": [DeliveryMethod.WINDOW, DeliveryMethod.MAIL],
            "kind": ItemKind.PROMISED,
            "power_type": PowerType.PUBLIC_SERVICE,
            "audience": Audience.PERSON,
            "life_events": [LifeEvent.VETERAN],
            "department": "退役军人服务站",
            "legal_basis": "《中华人民共和国退役军人保障法》第六十三条；《退役军人、其他优抚对象优待证管理办法（试行）》。",
            "conditions": "户籍在本街道的退役军人和其他优抚对象。",
            "steps": "1. 窗口申请；\n2. 核验信息；\n3. 上报制证；\n4. 领取。",
            "statutory_limit_days": 20,
            "promised_limit_days": 15,
            "availability": Availability.OFFLINE,
        },
    )
]


FORM_SUFFIXES = ("申请书", "申请表", "审批表", "委托书", "授权书")
FORM_FIELDS = [
    ("申请人姓名", "张秀兰"),
    ("公民身份号码", "3301**********0026（示例）"),
    ("联系电话", "138****1234（示例）"),
    ("户籍地址", "明湖区清波路 66 号 3 幢 201 室"),
    ("现居住地址", "明湖区柳浪路 18 号 2 幢 502 室"),
    ("申请事由", "家庭成员因病丧失劳动能力，家庭人均收入低于当地标准，特此申请。"),
    ("申请人签字", "张秀兰"),
    ("申请日期", "2026 年 11 月 26 日"),
]


def form_workbook(item_name: str, material_name: str, *, sample: bool) -> bytes:
    """A blank form (空白表格) or a filled-in sample (示例样表) as an Excel workbook."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("示例样表" if sample else "空白表格")
    title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
    label = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True, "font_color": "#1F4E79" if sample else "#000000"})
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 60)
    sheet.merge_range(0, 0, 0, 1, material_name + ("（示例样表）" if sample else ""), title)
    sheet.merge_range(1, 0, 1, 1, f"事项：{item_name}")
    for row, (field, example) in enumerate(FORM_FIELDS, start=3):
        sheet.write(row, 0, field, label)
        sheet.write(row, 1, example if sample else "", cell)
        sheet.set_row(row, 30)
    book.close()
    return buffer.getvalue()


def _attach_forms(item: ServiceItem, material: Material) -> None:
    if not material.name.endswith(FORM_SUFFIXES):
        return
    base = f"{item.code.lower()}-{material.sort_order}"
    material.blank_form.save(
        f"{base}-blank.xlsx", ContentFile(form_workbook(item.name, material.name, sample=False)), save=False
    )
    material.sample.save(
        f"{base}-sample.xlsx", ContentFile(form_workbook(item.name, material.name, sample=True)), save=False
    )
    material.save()


def _common(spec: dict, window: int, level: str) -> dict:
    return {
        "window_address": (
            spec["community_address"] if level == "community" else spec["address"].format(window=window or 1)
        ),
        "office_hours": HOURS,
        "consultation_phone": spec["community_phone"] if level == "community" else spec["phone"],
        "complaint_phone": spec["complaint"],
        "fee": "不收费",
        "fee_basis": "",
        "chief_representative": spec["chief"],
    }


# Fields the demo sets that came after databases were built with it (居住证明开具 printing the 居住证明): a
# re-run fills them on the items already there where they are still blank, unless an office chose the value
# itself (an audited edit that changed the field, or an item it created).
LATER_FIELDS = ("certificate_kind",)


def _chosen_by_office(target, name: str, created=events.ITEM_CREATED, updated=events.ITEM_UPDATED) -> bool:
    audited = AuditEvent.objects.filter(
        event_code__in=(created.code, updated.code),
        target_type=type(target)._meta.label,
        target_id=str(target.pk),
    ).values_list("event_code", "before", "after")
    for code, before, after in audited:
        if name not in (after or {}):  # an edit from before the field existed
            continue
        if code == created.code or (before or {}).get(name) != after[name]:
            return True
    return False


def _fill_later_fields(item: ServiceItem, values: dict) -> bool:
    """Fill the demo's later fields on an item built by an older demo; whether any was filled."""
    missing = [
        name
        for name in LATER_FIELDS
        if values.get(name) and not getattr(item, name) and not _chosen_by_office(item, name)
    ]
    for name in missing:
        setattr(item, name, values[name])
    if missing:
        item.save(update_fields=[*missing, "updated_at"])
    return bool(missing)


def _fill_tolerable(item: ServiceItem, suffix: str) -> bool:
    """Mark the demo's 可容缺 materials of an item built by an older demo, unless an office added the material
    or changed the mark itself; whether any was marked."""
    names = {name for code, name in TOLERABLE if code == suffix}
    marked = [
        material
        for material in item.materials.filter(name__in=names, required=True, tolerable=False)
        if not _chosen_by_office(material, "tolerable", events.MATERIAL_ADDED, events.MATERIAL_UPDATED)
    ]
    Material.objects.filter(pk__in=[material.pk for material in marked]).update(tolerable=True)
    return bool(marked)


def load_items(stdout=None) -> tuple[int, int]:
    """(items created, existing items whose later fields were filled)."""
    created = filled = 0
    for sub_name, spec in SUBDISTRICTS.items():
        subdistrict = OrgUnit.objects.filter(name=sub_name).first()
        community = OrgUnit.objects.filter(name=spec["community"], parent=subdistrict).first()
        if subdistrict is None:
            continue
        for suffix, window, level, fields, materials in ITEMS:
            org = community if level == "community" else subdistrict
            if org is None:
                continue
            code = f"{spec['prefix']}-{suffix}"
            values = {**_common(spec, window, level), **fields, "is_published": True}
            item, was_created = ServiceItem.objects.get_or_create(code=code, defaults={"org": org, **values})
            if was_created:
                created += 1
                for order, (name, form, copies, required, note) in enumerate(materials, start=1):
                    material = Material.objects.create(
                        item=item,
                        name=name,
                        form=form,
                        copies=copies,
                        required=required,
                        tolerable=(suffix, name) in TOLERABLE,
                        note=note,
                        sort_order=order,
                    )
                    _attach_forms(item, material)
            else:
                # both, not the first that fills (`or` would skip the materials)
                filled += _fill_later_fields(item, values) | _fill_tolerable(item, suffix)
        if spec["prefix"] == "WJ":
            for suffix, window, fields in DRAFT_ITEMS:
                code = f"{spec['prefix']}-{suffix}"
                values = {**_common(spec, window, "sub"), **fields, "is_published": False}
                _item, was_created = ServiceItem.objects.get_or_create(
                    code=code, defaults={"org": subdistrict, **values}
                )
                created += was_created
    return created, filled


def _announcements(today) -> list[tuple[str, dict]]:
    day = timedelta(days=1)
    return [
        (
            "清波街道",
            {
                "title": "关于柳浪社区部分区域临时停水的通知",
                "category": AnnouncementCategory.OUTAGE,
                "body": "因供水管网改造施工，定于本周六 8:00 至 18:00 对柳浪路 1-60 号、清波新村 1-12 幢暂停供水，"
                "请居民提前做好储水准备。施工期间社区在柳浪路 12 号设置临时取水点。\n"
                "咨询电话：0571-87021301（柳浪社区）、96390（供水热线）。",
                "valid_from": today - 2 * day,
                "valid_until": today + 4 * day,
            },
        ),
        (
            "清波街道",
            {
                "title": "清波路南段旧城改造项目房屋征收公告",
                "category": AnnouncementCategory.DEMOLITION,
                "body": "根据《国有土地上房屋征收与补偿条例》（国务院令第590号）和区政府房屋征收决定，"
                "清波路南段旧城改造项目征收范围为清波路 101-159 号（单号）。征收补偿方案已在街道和涌金社区公示，"
                "被征收人可在公告期内到街道征收指挥部（清波路 88 号三楼）查阅和咨询。\n"
                "咨询电话：0571-87021188。",
                "valid_from": today - 6 * day,
                "valid_until": today + 35 * day,
            },
        ),
        (
            "清波街道",
            {
                "title": "清波街道“九九重阳 孝老爱亲”敬老月系列活动",
                "category": AnnouncementCategory.EVENT,
                "body": "敬老月期间，街道联合各社区开展健康义诊、智能手机使用培训、银龄文艺汇演等活动。"
                "活动均免费参加，请到所在社区报名。",
                "valid_from": today - 30 * day,
                "valid_until": today + 10 * day,
            },
        ),
        (
            "清波街道",
            {
                "title": "2026 年度清波街道“最美家庭”推荐名单公示",
                "category": AnnouncementCategory.EXEMPLARY,
                "body": "经社区推荐、街道评审，拟推荐柳浪社区张秀兰家庭等 10 户家庭为 2026 年度“最美家庭”，"
                "现予公示。公示期 7 天，如有异议，请向街道妇联反映（0571-87021066）。",
                "valid_from": today - 1 * day,
                "valid_until": today + 6 * day,
            },
        ),
        (
            "望江街道",
            {
                "title": "政策解读：最低生活保障审核确认办法",
                "category": AnnouncementCategory.POLICY,
                "body": "《最低生活保障审核确认办法》明确了低保申请、审核确认、动态管理等程序。"
                "申请人可在户籍所在地或经常居住地街道提出申请，街道应在 30 个工作日内完成审核确认。"
                "详情请咨询望江街道便民服务中心（0571-87052001）。",
                "valid_from": today - 20 * day,
                "valid_until": None,
            },
        ),
        (
            "望江街道",
            {
                "title": "望江街道便民服务中心元旦期间办公时间调整",
                "category": AnnouncementCategory.SERVICE,
                "body": "元旦假期便民服务中心暂停对外办公，网上申请照常受理，节后第一个工作日起按顺序办理。",
                "valid_from": today,
                "valid_until": today + 40 * day,
            },
        ),
        (
            "望江街道",
            {
                "title": "近江社区计划停电通知（已结束）",
                "category": AnnouncementCategory.OUTAGE,
                "body": "因线路检修，近江社区部分楼幢计划停电，现已恢复供电。",
                "valid_from": today - 20 * day,
                "valid_until": today - 15 * day,
            },
        ),
    ]


def load_announcements(stdout=None) -> int:
    created = 0
    now = timezone.now()
    for org_name, values in _announcements(timezone.localdate()):
        org = OrgUnit.objects.filter(name=org_name).first()
        if org is None:
            continue
        _announcement, was_created = Announcement.objects.get_or_create(
            org=org,
            title=values["title"],
            defaults={**values, "is_published": True, "published_at": now},
        )
        created += was_created
    draft_org = OrgUnit.objects.filter(name="望江街道").first()
    if draft_org is not None:
        _draft, was_created = Announcement.objects.get_or_create(
            org=draft_org,
            title="秋涛社区睦邻节活动预告（草稿）",
            defaults={
                "category": AnnouncementCategory.EVENT,
                "body": "秋涛社区第五届睦邻节将于下月举办，具体安排待定。",
                "valid_from": timezone.localdate(),
                "valid_until": None,
                "is_published": False,
            },
        )
        created += was_created
    return created


def load_role_permissions() -> None:
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*resolve_permissions(patterns))


@transaction.atomic
def load(stdout=None) -> None:
    load_role_permissions()
    items, filled = load_items()
    announcements = load_announcements()
    if stdout is not None:
        stdout.write(f"政务服务事项：新增 {items} 项；公告：新增 {announcements} 条。")
        if filled:
            stdout.write(
                f"政务服务事项：{filled} 项补填了演示数据后来设置的内容（如出具证明类型、可容缺材料）。"
            )
