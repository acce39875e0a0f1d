import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "jiedao.workflow"
    label = "workflow"
    verbose_name = _("流程引擎")

    def ready(self) -> None:
        from jiedao.timelimits.registry import register_kind

        register_kind("workflow.task", _("流程待办"))
        # SpiffWorkflow logs every task state change at INFO; keep that out of the platform's logs.
        for name in ("spiff", "spiff.task", "spiff.workflow"):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.WARNING)
