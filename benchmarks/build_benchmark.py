"""Build benchmark: what ``sam build`` ships (``make build`` first), measured as Lambda would load it.

- The built layer's size, unzipped and zipped (deflated, as ``sam deploy`` uploads it; Lambda's limit is 50 MB
  zipped for a direct upload and 250 MB unzipped for a function and its layers), and its largest packages.
- Each built handler's import time under python3.12: the median over fresh interpreters (``-I -S``: only the
  function's directory and the built layer; Lambda's environment variables), taken in turns, against
  ``import boto3`` alone and ``import boto3`` with one client made, from the same layer; wall time, and CPU
  time, which a busy neighbour on a shared machine sways less. Twice: as shipped, with the bytecode the build
  compiles into the layer (Lambda cannot write it: ``/opt`` is read-only), and compiling every module, as a
  layer without it costs.
- The first invocation of each built function on a sample event against the emulator (its process started,
  the handler imported, the event handled: a cold start, the emulator's answers included), and a second one
  in the same process (warm), the sweep worker on the job the sweep queued.

The layer is built for arm64; where this machine is another, the layer's compiled packages are this machine's
build of the same versions (``vpce_guard_local.sam.built``). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from vpce_guard_local.emulator import Emulator
from vpce_guard_local.estate import EstateBuilder
from vpce_guard_local.sam.built import Build
from vpce_guard_local.sam.queues import drain_queues
from vpce_guard_local.sam.router import send
from vpce_guard_local.samples import SAMPLE_ACCOUNT, SAMPLE_ENDPOINT, SAMPLE_GROUP, SAMPLE_VPC, load_event, retarget

BUILD = Build(Path(__file__).resolve().parents[1] / ".aws-sam")
REGION = "us-east-1"
IMPORT_RUNS = 5
SAMPLES = {
    "OnChangeFunction": "cloudtrail-create-vpc-endpoint-interface",
    "ConfigRuleFunction": "config-rule-item-change-vpc-endpoint",
    "SweepFunction": "schedule-sweep",
    "NotifierFunction": "dynamodb-stream-state-changes",
}
FUNCTIONS = (*SAMPLES, "SweepWorkerFunction")
CLIENT = "import boto3, one client made"
SHIPPED, COMPILING = "with the build's bytecode", "compiling every module"
TIME_IMPORT = """
import sys, time
sys.path[:0] = sys.argv[2:]
started, cpu = time.perf_counter(), time.process_time()
exec(sys.argv[1])
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def tree_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def zipped_size(path: Path) -> int:
    """The directory zipped as ``sam deploy`` zips it: its content at the archive's root, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path))
    return len(buffer.getvalue())


def import_run(code: str, path: list[str], cwd: Path, no_bytecode: Path | None = None) -> tuple[float, float]:
    """The wall and CPU time ``code`` takes in a fresh isolated python3.12 interpreter seeing only ``path``,
    nothing written (``-B``): with the bytecode the build ships, or compiling every module when ``no_bytecode``
    (an empty directory) is where the interpreter looks for bytecode instead.

    The environment is Lambda's where it changes what an import does: ``LAMBDA_TASK_ROOT`` set, the X-Ray SDK
    takes its Lambda path (no sampling rules to fetch, so no X-Ray clients made; it touches
    ``/tmp/.aws-xray/initialized``) and Powertools' Tracer is on, patching what it traces, as with the template's
    ``Tracing: Active``."""
    cache = ["-B", *(["-X", f"pycache_prefix={no_bytecode}"] if no_bytecode else [])]
    environment = {
        "PATH": os.defpath,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "LAMBDA_TASK_ROOT": str(cwd),
        "AWS_LAMBDA_FUNCTION_NAME": cwd.name,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "POWERTOOLS_SERVICE_NAME": "vpce-guard",
        "POWERTOOLS_METRICS_NAMESPACE": "VpceGuard",
    }
    command = [BUILD.python, "-I", "-S", *cache, "-c", TIME_IMPORT, code, *path]
    timed = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, check=False)
    if timed.returncode:
        raise SystemExit(f"{code!r} failed under {BUILD.python}:\n{timed.stderr}")
    wall, cpu = timed.stdout.split()
    return float(wall), float(cpu)


def print_sizes() -> None:
    layer = BUILD.layer.parent
    print(f"\nBuilt layer ({layer.relative_to(BUILD.root.parent)})")
    print(f"  {tree_size(layer) / 1e6:.1f} MB unzipped, {zipped_size(layer) / 1e6:.1f} MB zipped")
    packages = sorted(
        ((tree_size(entry) if entry.is_dir() else entry.stat().st_size, entry.name) for entry in BUILD.layer.iterdir()),
        reverse=True,
    )
    print("  largest: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in packages[:5]))
    for function in FUNCTIONS:
        code = BUILD.build_dir / function
        print(f"  {function}: {tree_size(code) / 1e3:.1f} kB of its own, {zipped_size(code) / 1e3:.1f} kB zipped")


def print_import_times() -> None:
    layers = [str(BUILD.host_packages), str(BUILD.layer)]
    cases: dict[str, tuple[str, Path]] = {
        "import boto3": ("import boto3", BUILD.build_dir),
        CLIENT: ("import boto3; boto3.client('dynamodb')", BUILD.build_dir),
        **{function: ("import app", BUILD.build_dir / function) for function in FUNCTIONS},
    }
    print(f"\nImport under {BUILD.python}, median of {IMPORT_RUNS} fresh interpreters each, taken in turns:")
    print("as shipped, with the build's bytecode (wall, and CPU) / compiling every module (a layer without bytecode)")
    with tempfile.TemporaryDirectory() as empty:
        caches: dict[str, Path | None] = {SHIPPED: None, COMPILING: Path(empty)}
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {(case, how): [] for case in cases for how in caches}
        for _ in range(IMPORT_RUNS):  # in turns: a busy moment of a shared machine weighs on every case alike
            for (case, how), timings in runs.items():
                code, cwd = cases[case]
                timings.append(import_run(code, [str(cwd), *layers], cwd, caches[how]))
    wall = {key: statistics.median(run[0] for run in timings) for key, timings in runs.items()}
    cpu = {key: statistics.median(run[1] for run in timings) for key, timings in runs.items()}
    for case in cases:
        times = f"{wall[case, SHIPPED] * 1000:.0f} ms (CPU {cpu[case, SHIPPED] * 1000:.0f} ms)"
        times += f" / {wall[case, COMPILING] * 1000:.0f} ms"
        if case in FUNCTIONS:
            shipped_ratio, cpu_ratio = (
                wall[case, SHIPPED] / wall[CLIENT, SHIPPED],
                cpu[case, SHIPPED] / cpu[CLIENT, SHIPPED],
            )
            times += f"; {shipped_ratio:.1f}x (CPU {cpu_ratio:.1f}x)"
            times += f" / {wall[case, COMPILING] / wall[CLIENT, COMPILING]:.1f}x {CLIENT}"
        print(f"  {case}: {times}")


def print_first_invocations() -> None:
    with Emulator(region=REGION) as emulator, tempfile.TemporaryDirectory() as workdir:
        os.environ.update(emulator.client_environment())
        stack = BUILD.deploy(
            emulator.url, region=REGION, parameters={"EnableOpsCenter": "true"}, stack_file=Path(workdir) / "s.json"
        )
        build = EstateBuilder(emulator.client("ec2"), REGION)
        vpc = build.vpc("10.70.0.0/16", zones=2, public_subnet=False, name="build-benchmark")
        group = build.security_group(vpc, "endpoints", https_from_cidrs=[vpc.cidr])
        endpoint = build.interface_endpoint(vpc, "ssm", subnet_ids=vpc.private_subnet_ids, group_ids=[group])
        ids = {SAMPLE_ACCOUNT: stack.account_id, SAMPLE_VPC: vpc.id, SAMPLE_GROUP: group, SAMPLE_ENDPOINT: endpoint}
        print("\nInvocations of the built functions against the emulator: the first (a cold start: the process,")
        print("the imports and the event) and a second one in the same process")
        for function, sample in SAMPLES.items():
            invocations = send(stack, retarget(load_event(sample), ids), times=2)
            if function == "SweepFunction":
                invocations += drain_queues(stack)  # one job per sweep, for the sweep worker
            for name in dict.fromkeys(invocation.function for invocation in invocations):
                cold, warm, *_ = [invocation for invocation in invocations if invocation.function == name]
                failed = [invocation.error for invocation in (cold, warm) if not invocation.ok]
                assert not failed, failed
                print(f"  {name} ({sample}): {cold.duration_ms:.0f} ms, then {warm.duration_ms:.0f} ms")


def main() -> None:
    print(f"Build benchmark: the build in {BUILD.root} (make build)")
    print_sizes()
    print_import_times()
    print_first_invocations()


if __name__ == "__main__":
    main()
