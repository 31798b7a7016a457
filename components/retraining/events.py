"""Event Grid → Storage queue delivery of the retraining triggers.

Every Event Grid subscription of the retraining loop delivers to a Storage queue in the retraining
Function's host storage account, never to the Function itself: a queue exists as soon as Pulumi
declares it, so a brand-new estate deploys in one ``pulumi up`` (an ``AzureFunction`` destination
is validated against the deployed function code, which the pipeline publishes only after the
app exists), and the Function needs no inbound network path.

* Event Grid delivers with the **system topic's managed identity**
  (``deliveryWithResourceIdentity``), which holds Storage Queue Data Message Sender on its one
  queue only; undeliverable events are dead-lettered, with the same identity (Storage Blob Data
  Contributor on the dead-letter container only), to a container of the same account.
* The Function reads the queues through an identity-based connection and moves rejected
  messages to each queue's poison queue (declared here, so it never needs to create queues).

Role assignments are named from stable strings (:func:`components.roles.assignment_name`), so
re-running a plan never duplicates one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import authorization, eventgrid, storage

from components.roles import BY_NAME, assignment_name

DEAD_LETTER_CONTAINER = "retrain-deadletter"
"""Container of the host account that receives events Event Grid could not deliver."""
QUEUE_MESSAGE_TTL_SECONDS = 7 * 24 * 3600
"""How long a delivered event waits in its queue (the Storage default, stated)."""


def grant(
    logical: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    name_parts: Sequence[str],
    description: str,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> authorization.RoleAssignment:
    """One role assignment of built-in ``role`` (components/roles.py) to a service principal."""
    guid = BY_NAME[role].guid
    return authorization.RoleAssignment(
        logical,
        role_assignment_name=assignment_name(*name_parts),
        scope=scope,
        principal_id=principal_id,
        principal_type="ServicePrincipal",
        role_definition_id=pulumi.Output.from_input(scope).apply(
            lambda s: (
                "/".join(s.split("/")[:3]) + f"/providers/Microsoft.Authorization/roleDefinitions/{guid}"
            )
        ),
        description=description,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def topic_principal(topic: eventgrid.SystemTopic) -> pulumi.Output[str]:
    """Object id of a system topic's system-assigned identity."""
    return topic.identity.apply(lambda i: (i.principal_id or "") if i is not None else "")


def grant_topic(
    logical: str,
    *,
    topic: eventgrid.SystemTopic,
    topic_name: str,
    queue: str,
    queue_scope: pulumi.Input[str],
    dead_letter_scope: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """The topic identity's two grants: send to ``queue`` (ARM id ``queue_scope``), write the
    dead-letter container (``dead_letter_scope``). Pass the declared resources' ids, so the
    grants, and the subscriptions after them, wait for the queue and the container."""
    principal = topic_principal(topic)
    return [
        grant(
            f"{logical}-queue-sender",
            role="Storage Queue Data Message Sender",
            scope=queue_scope,
            principal_id=principal,
            name_parts=("eventgrid", topic_name, queue, "sender"),
            description=f"Event Grid system topic {topic_name} delivers to queue {queue}",
            parent=parent,
        ),
        grant(
            f"{logical}-dead-letter-writer",
            role="Storage Blob Data Contributor",
            scope=dead_letter_scope,
            principal_id=principal,
            name_parts=("eventgrid", topic_name, DEAD_LETTER_CONTAINER, "writer"),
            description=f"Event Grid system topic {topic_name} dead-letters undeliverable events",
            parent=parent,
        ),
    ]


def queue_subscription(
    logical: str,
    *,
    subscription_name: str,
    topic: eventgrid.SystemTopic,
    resource_group_name: pulumi.Input[str],
    account_id: pulumi.Input[str],
    queue: str,
    filter: eventgrid.EventSubscriptionFilterArgs,
    max_delivery_attempts: int,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> eventgrid.SystemTopicEventSubscription:
    """A subscription delivering (Event Grid schema) to ``queue`` with the topic's identity."""
    identity = eventgrid.EventSubscriptionIdentityArgs(type="SystemAssigned")
    return eventgrid.SystemTopicEventSubscription(
        logical,
        event_subscription_name=subscription_name,
        system_topic_name=topic.name,
        resource_group_name=resource_group_name,
        delivery_with_resource_identity=eventgrid.DeliveryWithResourceIdentityArgs(
            identity=identity,
            destination=eventgrid.StorageQueueEventSubscriptionDestinationArgs(
                endpoint_type="StorageQueue",
                resource_id=account_id,
                queue_name=queue,
                queue_message_time_to_live_in_seconds=QUEUE_MESSAGE_TTL_SECONDS,
            ),
        ),
        dead_letter_with_resource_identity=eventgrid.DeadLetterWithResourceIdentityArgs(
            identity=identity,
            dead_letter_destination=eventgrid.StorageBlobDeadLetterDestinationArgs(
                endpoint_type="StorageBlob",
                resource_id=account_id,
                blob_container_name=DEAD_LETTER_CONTAINER,
            ),
        ),
        filter=filter,
        event_delivery_schema="EventGridSchema",
        retry_policy=eventgrid.RetryPolicyArgs(
            max_delivery_attempts=max_delivery_attempts, event_time_to_live_in_minutes=1440
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


def declare_queues(
    name: str,
    *,
    queues: Sequence[str],
    poison_suffix: str,
    account: storage.StorageAccount,
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> dict[str, storage.Queue]:
    """Each queue and its poison queue, by queue name."""
    declared: dict[str, storage.Queue] = {}
    for queue in queues:
        for each in (queue, f"{queue}{poison_suffix}"):
            declared[each] = storage.Queue(
                f"{name}-queue-{each}",
                queue_name=each,
                account_name=account.name,
                resource_group_name=resource_group_name,
                opts=pulumi.ResourceOptions(parent=parent),
            )
    return declared
