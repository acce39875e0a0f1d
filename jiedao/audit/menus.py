from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("audit", MenuItem(_("审计日志"), "audit:event_list", "audit.view_auditevent", "journal-text"))
add("audit", MenuItem(_("审计链校验"), "audit:verify", "audit.verify_auditevent", "shield-check"))
