from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("admin", MenuItem(_("短信发件箱"), "sms:outboundmessage_list", "sms.view_outboundmessage", "chat-dots"))
