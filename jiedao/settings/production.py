"""Production settings: refuse to start unsafe, secure cookies, HSTS, strict CSP.

Start with DJANGO_SETTINGS_MODULE=jiedao.settings.production.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEVELOPMENT_SECRET_KEY, JIEDAO_FIELD_KEYS, SECRET_KEY

DEBUG = os.environ.get("JIEDAO_DEBUG", "0") == "1"
if DEBUG:
    raise ImproperlyConfigured("生产环境不得开启 DEBUG（JIEDAO_DEBUG=1）。")
if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("生产环境必须通过 SECRET_KEY 环境变量设置至少 40 个字符的随机密钥。")
if not os.environ.get("JIEDAO_FIELD_KEYS") or "0123456789abcdeffedcba9876543210" in JIEDAO_FIELD_KEYS:
    raise ImproperlyConfigured("生产环境必须通过 JIEDAO_FIELD_KEYS 设置个人信息加密密钥。")
if not os.environ.get("JIEDAO_BLIND_INDEX_KEY"):
    raise ImproperlyConfigured("生产环境必须通过 JIEDAO_BLIND_INDEX_KEY 设置检索索引密钥。")
# The conclusion SMS and the window's QR code carry links built on it: the development default would send
# residents to 127.0.0.1.
if not os.environ.get("JIEDAO_PUBLIC_URL", "").startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "生产环境必须通过 JIEDAO_PUBLIC_URL 设置群众访问本站的地址（如 https://zwfw.example.gov.cn），短信中的评价链接以它开头。"
    )

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("JIEDAO_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = os.environ.get("JIEDAO_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
