from django_tasks import task

from jiedao.sms import services


@task()
def deliver(message_id: int) -> str:
    return services.deliver_message(message_id)


@task()
def retry_due() -> int:
    services.give_up_abandoned()
    ids = services.due_message_ids()
    for message_id in ids:
        services.deliver_message(message_id)
    return len(ids)
