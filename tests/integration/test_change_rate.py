"""The organization-wide rate of automatic changes, through the emulator over HTTP: a hub's acting functions
acting in member accounts share one hourly allowance in the state table; a change beyond it is not made and its
finding is ticketed saying so (and the function counts it, for the alarm); a counter that cannot be written
changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from org_support import ACTOR, Hub, created

from vpce_guard.aws import AwsSession
from vpce_guard.decisions import GuardConfig
from vpce_guard.pipeline import Evaluation, Pipeline
from vpce_guard.state import StateStore
from vpce_guard.throttle import HOUR, RATE_KEY, Window
from vpce_guard.vocabulary import Status
from vpce_guard_local.demo import REGION
from vpce_guard_local.estate import PlantedMistake, plant_private_dns_mistake
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, SAMPLE_VPC, load_event, retarget

pytestmark = pytest.mark.server

TWO_AN_HOUR = GuardConfig.from_toml('max_changes_per_hour = 2\n[modes]\nprivate-dns-disabled = "enforce"\n')
RATE_REACHED = "the organization-wide rate of automatic changes was reached (max_changes_per_hour = 2"


class HourClock:
    """Evaluation times a second apart within one clock hour, until ``next_hour``."""

    def __init__(self, start: datetime = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def next_hour(self) -> None:
        self.now = Window.of(self.now, HOUR).end


def acting_store(hub: Hub, state_table: str) -> StateStore:
    """The state table as one acting function reaches it: a session of its own, as each function has."""
    session = hub.session_of(ACTOR, REGION)
    own = AwsSession(REGION, endpoint_url=session.endpoint_url, credentials=session.credentials)
    return StateStore(own.client("dynamodb"), state_table)


def acting_pipeline(hub: Hub, store: StateStore, clock: HourClock, config: GuardConfig = TWO_AN_HOUR) -> Pipeline:
    return Pipeline(hub.accounts(ACTOR), store, config, clock=clock)


def mistakes(hub: Hub) -> list[PlantedMistake]:
    """An endpoint with private DNS off in each member account, each in a VPC of its own."""
    return [hub.plant(member) for member in hub.organization.member_account_ids]


def private_dns_on(hub: Hub, mistake: PlantedMistake) -> bool:
    ec2 = hub.member_client("ec2", mistake.account_id)
    (endpoint,) = ec2.describe_vpc_endpoints(VpcEndpointIds=[mistake.endpoint_id])["VpcEndpoints"]
    return bool(endpoint["PrivateDnsEnabled"])


def finding_record(store: StateStore, mistake: PlantedMistake) -> dict[str, Any]:
    item = store.dynamodb.get_item(
        TableName=store.table_name,
        Key={
            "pk": {"S": f"{mistake.account_id}#{REGION}#{mistake.endpoint_id}"},
            "sk": {"S": "private-dns-disabled"},
        },
    )["Item"]
    return {"status": item["status"]["S"], "note": item.get("remediation_note", {}).get("S", "")}


def evaluate(pipeline: Pipeline, mistake: PlantedMistake) -> Evaluation:
    evaluation = pipeline.on_change(created(mistake))
    assert evaluation is not None
    return evaluation


def test_beyond_the_hourly_rate_a_change_is_not_made_and_its_finding_is_ticketed_naming_the_rate(
    hub: Hub, state_table: str
) -> None:
    store = acting_store(hub, state_table)
    guard = acting_pipeline(hub, store, HourClock())
    first, second, third = mistakes(hub)

    evaluations = [evaluate(guard, mistake) for mistake in (first, second, third)]

    assert [private_dns_on(hub, mistake) for mistake in (first, second, third)] == [True, True, False]
    assert [finding_record(store, mistake)["status"] for mistake in (first, second, third)] == [
        "REMEDIATED", "REMEDIATED", "TICKETED",
    ]  # fmt: skip
    assert finding_record(store, third)["note"].startswith(f"Not changed automatically: {RATE_REACHED}")
    assert [e.rate_reached for e in evaluations] == [0, 0, 1]
    (ticket,) = evaluations[2].remediations
    assert (ticket.status, ticket.resource_id) == ("TICKET_ONLY", third.endpoint_id)
    assert (ticket.error or "").startswith(RATE_REACHED)


def test_two_pipelines_sharing_one_table_share_the_rate(hub: Hub, state_table: str) -> None:
    """As the on-change function and a sweep worker do, each with its own session and store."""
    clock = HourClock()
    on_change = acting_pipeline(hub, acting_store(hub, state_table), clock)
    sweep_worker = acting_pipeline(hub, acting_store(hub, state_table), clock)
    first, second, third = mistakes(hub)

    evaluate(on_change, first)
    evaluate(sweep_worker, second)
    evaluate(on_change, third)

    assert [private_dns_on(hub, mistake) for mistake in (first, second, third)] == [True, True, False]
    counter = on_change.store.dynamodb.get_item(
        TableName=state_table, Key={"pk": {"S": RATE_KEY}, "sk": {"S": Window.of(clock.now, HOUR).key}}
    )["Item"]
    assert counter["changes"] == {"N": "2"}


def test_a_finding_ticketed_for_the_rate_is_changed_in_a_later_hour(hub: Hub, state_table: str) -> None:
    store = acting_store(hub, state_table)
    clock = HourClock()
    guard = acting_pipeline(hub, store, clock)
    *_, third = planted = mistakes(hub)
    for mistake in planted:
        evaluate(guard, mistake)
    assert finding_record(store, third)["status"] == "TICKETED"

    clock.next_hour()
    evaluation = evaluate(guard, third)

    assert private_dns_on(hub, third)
    assert (finding_record(store, third)["status"], evaluation.rate_reached) == ("REMEDIATED", 0)


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "AccessDeniedException"], ids=["throttled", "denied"]
)
def test_a_counter_that_cannot_be_written_makes_no_change(hub: Hub, state_table: str, code: str) -> None:
    store = acting_store(hub, state_table)

    def refuse_the_counter(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "the counter is out of reach"}}, "UpdateItem")

    store.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", refuse_the_counter)
    (mistake, *_) = mistakes(hub)

    evaluation = evaluate(acting_pipeline(hub, store, HourClock()), mistake)

    assert not private_dns_on(hub, mistake)
    record = finding_record(store, mistake)
    assert record["status"] == Status.TICKETED.value
    assert record["note"].startswith(
        "Not changed automatically: the organization-wide rate of automatic changes could not be read"
    )
    assert code in record["note"]
    assert evaluation.rate_reached == 1


def published_metrics(output: str) -> dict[str, Any]:
    """The values of the metrics in the embedded-metric-format lines Powertools printed, by name."""
    values: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                values.update({metric["Name"]: document[metric["Name"]] for metric in directive["Metrics"]})
    return values


def test_the_function_counts_the_changes_the_rate_left_undone_for_the_alarm(
    handler_of: Callable[..., Callable[[dict[str, Any]], Any]],
    ec2: Any,
    store: StateStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = handler_of("on_change", 'max_changes_per_hour = 0\n[modes]\nprivate-dns-disabled = "enforce"\n')
    mistake = plant_private_dns_mistake(ec2, REGION)
    ids = {SAMPLE_ACCOUNT: "123456789012", SAMPLE_ENDPOINT: mistake.endpoint_id, SAMPLE_VPC: mistake.vpc.id}

    handler(retarget(load_event("cloudtrail-create-vpc-endpoint-interface"), ids))

    assert published_metrics(capsys.readouterr().out)["ChangeRateReached"] == [1.0]
    (record,) = [r for r in store.records("123456789012", REGION) if r.check_id == "private-dns-disabled"]
    assert record.status is Status.TICKETED
