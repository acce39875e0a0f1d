from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

GROUP = _("政务服务")

DEEMED_ACCEPTANCE_DAYS = declare(
    "applications.deemed_acceptance_days",
    _("逾期视为受理（工作日）"),
    5,
    minimum=1,
    maximum=30,
    group=GROUP,
    help_text=_(
        "申请提交后这么多个工作日内既未受理、未告知补正也未不予受理的，视为受理（行政许可法第三十二条）。"
    ),
)
DEFER_DAYS = declare(
    "applications.defer_days",
    _("容缺材料补交期限（工作日）"),
    5,
    minimum=1,
    maximum=60,
    group=GROUP,
    help_text=_("容缺受理时，申请人自受理之日起在这么多个工作日内补交所缺材料（窗口可另定期限）。"),
)
MAX_FILE_MB = declare(
    "applications.max_file_mb",
    _("单个材料文件上限（MB）"),
    10,
    minimum=1,
    maximum=100,
    group=GROUP,
    help_text=_("PDF 按上传的原文件计；照片按转正、压缩后保存的文件计。"),
)
MAX_PHOTO_MB = declare(
    "applications.max_photo_mb",
    _("照片原图上限（MB）"),
    30,
    minimum=1,
    maximum=100,
    group=GROUP,
    help_text=_(
        "手机照片（JPG、PNG、WebP、HEIC）在此大小以内都可上传：系统将其转正、去除拍摄地点等信息并压缩后保存，"
        "保存的文件仍须在单个材料文件上限以内。反向代理的请求大小上限须不小于此值。"
    ),
)
MAX_TOTAL_MB = declare(
    "applications.max_total_mb",
    _("每件申请材料总量上限（MB）"),
    50,
    minimum=1,
    maximum=500,
    group=GROUP,
)
NOTICE_DAYS = declare(
    "applications.notice_days",
    _("公示期（自然日）"),
    7,
    minimum=1,
    maximum=60,
    group=GROUP,
)
RECTIFICATION_DAYS = declare(
    "applications.rectification_days",
    _("差评整改期限（工作日）"),
    5,
    minimum=1,
    maximum=30,
    group=GROUP,
)
TRACK_LIMIT = declare(
    "applications.track_limit",
    _("办件查询每 10 分钟次数上限（每个地址）"),
    10,
    minimum=1,
    maximum=1000,
    group=GROUP,
)
OBJECTION_LIMIT = declare(
    "applications.objection_limit",
    _("公示异议每小时提交次数上限（每个地址）"),
    5,
    minimum=1,
    maximum=1000,
    group=GROUP,
)
CERTIFICATE_VALIDITY_MONTHS = declare(
    "applications.certificate_validity_months",
    _("证明有效期（月）"),
    3,
    minimum=1,
    maximum=12,
    group=GROUP,
    help_text=_("窗口开具的居住证明等，自开具之日起在此期限内有效，证明上写明有效期至哪一天。"),
)
RESIDENT_TOKEN_DAYS = declare(
    "applications.resident_token_days",
    _("群众接口令牌有效期（天）"),
    7,
    minimum=1,
    maximum=90,
    group=GROUP,
    help_text=_(
        "群众在小程序或手机应用中以短信验证码登录后取得的接口令牌，自签发起在此期限内有效，期满须重新登录；"
        "退出登录、更换绑定手机号或注销账号后立即失效。"
    ),
)
