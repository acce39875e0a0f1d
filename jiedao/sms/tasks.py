from django_tasks import task

from jiedao.sms import services


@task()
def deliver(message_id: int) -> str:
    return services.deliver_message(message_id)


@task()
def deliver_many(message_ids: list[int]) -> int:
    """A batch queued at once (`services.sms_queue_many`): one task instead of one per message; a message
    this worker does not get to is sent by the minutely retry sweep."""
    for message_id in message_ids:
        services.deliver_message(message_id)
    return len(message_ids)


@task()
def retry_due() -> int:
    services.give_up_abandoned()
    ids = services.due_message_ids()
    for message_id in ids:
        services.deliver_message(message_id)
    return len(ids)
