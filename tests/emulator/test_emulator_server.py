"""The emulator as a server: its port, its lifetime, its control path and the environment it hands out."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from vpce_guard_local.emulator import Emulator, fidelity

pytestmark = pytest.mark.server

STS = "com.amazonaws.us-east-1.sts"


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_emulator_listens_on_a_free_loopback_port(emulator: Emulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
    assert emulator.port > 0
    assert not _port_is_free(emulator.port)


def test_two_emulators_get_different_ports(emulator: Emulator) -> None:
    with Emulator() as second:
        assert second.port != emulator.port
        assert second.client("ec2").describe_availability_zones()["AvailabilityZones"]


def test_stop_releases_the_port() -> None:
    running = Emulator().start()
    port = running.port

    running.stop()

    assert _port_is_free(port)


def test_start_is_idempotent() -> None:
    with Emulator() as running:
        url = running.url

        assert running.start() is running
        assert running.url == url


def test_a_taken_port_fails_at_once_instead_of_hanging() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        started = time.monotonic()

        with pytest.raises(OSError, match="in use"):
            Emulator(port=taken.getsockname()[1]).start()

        assert time.monotonic() - started < 2


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = Emulator().url


def test_client_environment_points_a_plain_boto3_client_at_the_emulator(
    aws: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in aws.client_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    vpc_id = boto3.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    assert aws.client("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"]


def test_an_unimplemented_call_fails_without_retries(aws: Emulator) -> None:
    with pytest.raises(ClientError) as caught:
        aws.client("ssm").get_ops_summary()

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_reset_wipes_resources(aws: Emulator) -> None:
    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    aws.reset()

    assert vpc_id not in {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]}


def test_reset_lifts_zone_restrictions(aws: Emulator) -> None:
    aws.restrict_service_zones(STS, ["us-east-1a"])

    aws.reset()

    (details,) = aws.client("ec2").describe_vpc_endpoint_services(ServiceNames=[STS])["ServiceDetails"]
    assert len(details["AvailabilityZones"]) > 1


@pytest.mark.parametrize(
    ("service_name", "zone_names", "message"),
    [
        (STS, ["us-east-1z"], "not zones of us-east-1"),
        (STS, [], "at least one zone"),
        ("sts", ["us-east-1a"], "no endpoint service 'sts'"),
    ],
)
def test_control_path_refuses_what_aws_could_not_offer(
    aws: Emulator, service_name: str, zone_names: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        aws.restrict_service_zones(service_name, zone_names)


def test_fidelity_install_is_idempotent() -> None:
    originals = dict(fidelity.PATCHES.originals)

    fidelity.install()
    fidelity.install()

    assert fidelity.PATCHES.originals == originals
    assert all(original.__module__.startswith("moto") for original in originals.values())


def test_importing_the_package_does_not_import_moto() -> None:
    code = "import sys, vpce_guard, vpce_guard_local.emulator; sys.exit('moto' in sys.modules)"

    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=30).returncode == 0


def test_run_forever_prints_exports_and_stops_on_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    code = "from vpce_guard_local.emulator import run_forever; run_forever('eu-west-1', 0)"
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in iter(process.stdout.readline, "unset AWS_PROFILE\n")
        )
        session = boto3.session.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name=exports["AWS_REGION"],
        )
        zones = session.client("ec2", endpoint_url=exports["AWS_ENDPOINT_URL"]).describe_availability_zones()

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=10) == 0
    assert exports["AWS_ENDPOINT_URL"] in banner
    assert exports["AWS_MAX_ATTEMPTS"] == "1"
    assert {zone["RegionName"] for zone in zones["AvailabilityZones"]} == {"eu-west-1"}
