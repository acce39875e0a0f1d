"""Django's makemessages, also extracting `pgettext_noop(context, message)`: the marker for a name kept in
data (a dictionary item) that needs a context because the same Chinese means two things (女: female in
the gender table, daughter in GB/T 4761). Django has `gettext_noop` but no context variant."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=pgettext_noop:1c,2"]
