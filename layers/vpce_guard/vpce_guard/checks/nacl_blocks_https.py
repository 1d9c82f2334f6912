"""nacl-blocks-https: the network ACL of an interface endpoint's subnet blocks HTTPS between it and its clients.

Why: a call to an interface endpoint is TCP 443 from the client to the endpoint's network interface in one of
its subnets, and the answer goes back to the port the client called from. Network ACLs are stateless, so both
must pass the subnet's network ACL: inbound TCP 443 from the client, and outbound TCP back to it on any
ephemeral port, 1024-65535 (Linux picks from 32768-60999, Windows from 49152-65535, NAT gateways and Lambda
from 1024-65535). Port 443 must pass both sides' network ACLs as well as their security groups (seed 003), and
a blocked call times out in a way that looks like a DNS fault (seed 000). With private DNS a client reaches
any of the endpoint's interfaces, so a block in one subnet fails part of its calls. A network ACL is shared by
every subnet associated with it, so the fix is a ticket, never an automatic change.

The clients are the address ranges the endpoint's security groups admit on TCP 443: a rule naming a security
group or a prefix list, or admitting the world (0.0.0.0/0, ::/0), stands for the VPC's CIDRs (members of a
group live in the VPC; the internet at large is not a client a network ACL is expected to pass); when no group
admits 443, or a group is not described, the VPC's CIDRs are (sg-https-blocked reports the groups, and its fix
admits the VPC). So a range inside the VPC narrows the clients, and a range elsewhere (on premises, a peered
VPC) adds to them. Traffic within a subnet does not cross its network ACL, so a subnet's own ranges are left
out of the clients its network ACL is judged for.

Rules are evaluated as AWS does, per direction: lowest number first, the first rule whose protocol, ports and
range match a packet decides, and ``*`` (32767) denies what no rule matched. A rule that covers part of a
client range decides for that part only: the traffic is split by address and port range (as integers), so
the finding names exactly the ranges and ports blocked, by which rule. Endpoints with the same clients in one
subnet share its verdict, worked out once per scan.

Scenarios:
- the default network ACL (rule 100 allows everything, ``*`` denies the rest) -> no finding;
- an inbound deny of TCP 443 from part of the VPC before the allow -> HIGH finding naming the network ACL, the
  subnet, the inbound rule and only the part denied;
- a deny numbered after an allow that matches the same clients -> no finding (the first match decides);
- a deny of a range that holds no client (another network, the endpoint subnet's own range) -> no finding;
- a network ACL allowing inbound 443 but no outbound ephemeral ports -> the outbound ``*`` rule is named with
  ports 1024-65535;
- outbound allowed to ports 32768-65535 only -> ports 1024-32767 are named;
- a deny for all protocols (-1) blocks; a UDP (17) deny, or a TCP deny of other ports, does not match;
- IPv4 rules never match IPv6 clients: a dual-stack VPC whose network ACL allows 0.0.0.0/0 only -> its IPv6
  range is named, denied by ``*``;
- groups admitting 443 from one subnet's range only -> a deny of another part of the VPC holds no client;
- a group admitting an on-premises range -> a deny of that range is named;
- several endpoint subnets sharing a network ACL -> each subnet is named;
- a subnet whose network ACL the facts do not hold (not described, or skipped for an unreadable rule), a
  subnet or a VPC not described -> nothing judged there;
- gateway endpoints and inactive endpoints -> no finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_network, summarize_address_range
from typing import Any

import msgspec

from vpce_guard.checks.base import Check, CheckSettings
from vpce_guard.facts import ASTERISK_RULE, WORLD_CIDRS, AclEntry, Endpoint, Facts, Subnet, Vpc
from vpce_guard.findings import Finding, Severity

Span = tuple[int, int]  # first and last, inclusive: of ports, or of addresses as integers
Range = tuple[int, int, int]  # an address range: IP version, first and last address as integers
Part = tuple[Range, Span]  # a part of the traffic with clients: their addresses and the TCP ports

HTTPS: Span = (443, 443)
EPHEMERAL: Span = (1024, 65535)
ALL_PORTS: Span = (0, 65535)
ALL_PROTOCOLS, TCP = "-1", "6"
INBOUND, OUTBOUND = "inbound", "outbound"


class Block(msgspec.Struct, frozen=True):
    """Client ranges one rule of a subnet's network ACL denies, on ``ports``: as integers and as CIDR blocks."""

    network_acl_id: str
    subnet_id: str
    direction: str
    rule_number: int
    ports: Span
    ranges: tuple[Range, ...]
    cidrs: tuple[str, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "network_acl_id": self.network_acl_id,
            "subnet_id": self.subnet_id,
            "direction": self.direction,
            "rule_number": self.rule_number,
            "from_port": self.ports[0],
            "to_port": self.ports[1],
            "blocked_cidrs": list(self.cidrs),
        }


def evaluate(facts: Facts, settings: CheckSettings) -> Iterator[Finding]:
    judged: dict[tuple[str, tuple[Range, ...]], list[Block]] = {}  # per subnet and clients: endpoints share them
    for endpoint in facts.active_endpoints:
        vpc = facts.vpcs.get(endpoint.vpc_id)
        if not endpoint.is_interface or vpc is None:
            continue
        clients = _clients(facts, endpoint, vpc)
        blocks = []
        for subnet_id in sorted(set(endpoint.subnet_ids)):
            if (subnet_id, clients) not in judged:
                judged[(subnet_id, clients)] = _blocks(facts.subnets.get(subnet_id), facts, clients)
            blocks += judged[(subnet_id, clients)]
        if blocks:
            yield CHECK.endpoint_finding(
                facts,
                endpoint,
                _detail(endpoint, blocks),
                {"client_cidrs": _cidrs(clients), "blocks": [block.evidence() for block in blocks]},
            )


def _clients(facts: Facts, endpoint: Endpoint, vpc: Vpc) -> tuple[Range, ...]:
    """The ranges the endpoint's groups admit on TCP 443, a group, prefix list or world rule standing for the
    VPC's CIDRs; the VPC's CIDRs when nothing is admitted or a group is not described."""
    groups = [facts.security_groups.get(group_id) for group_id in endpoint.security_group_ids]
    https_rules = [
        rule for group in groups if group is not None for rule in group.ingress if rule.admits_tcp_port(HTTPS[0])
    ]
    admitted: list[str] = []
    for rule in https_rules:
        if rule.group_ids or rule.prefix_list_ids or rule.world_cidrs:
            admitted += vpc.cidrs
        admitted += [cidr for cidr in rule.cidrs if cidr not in WORLD_CIDRS]
    if not admitted or any(group is None for group in groups):
        admitted += vpc.cidrs
    return tuple(_merged(_range(cidr) for cidr in admitted))


def _blocks(subnet: Subnet | None, facts: Facts, clients: Sequence[Range]) -> list[Block]:
    """What the network ACL of one endpoint subnet denies of the traffic with the clients outside the subnet."""
    acl = facts.network_acls.get(subnet.network_acl_id or "") if subnet is not None else None
    if subnet is None or acl is None:
        return []
    outside = _without(clients, [_range(cidr) for cidr in (subnet.cidr, *subnet.ipv6_cidrs) if cidr])
    blocks = []
    for direction, ports in ((INBOUND, HTTPS), (OUTBOUND, EPHEMERAL)):
        entries = [entry for entry in acl.entries if entry.egress == (direction == OUTBOUND)]
        for (rule_number, span), ranges in sorted(_denied(entries, outside, ports).items()):
            merged = tuple(_merged(ranges))
            blocks.append(Block(acl.id, subnet.id, direction, rule_number, span, merged, tuple(_cidrs(merged))))
    return blocks


def _denied(entries: Iterable[AclEntry], clients: Iterable[Range], ports: Span) -> dict[tuple[int, Span], list[Range]]:
    """Which rule denies which part of TCP traffic with ``clients`` on ``ports``, in AWS's order: each rule
    decides the part of what is still undecided that it matches; ``*`` denies what no rule matched."""
    undecided: list[Part] = [(client, ports) for client in clients]
    denied: defaultdict[tuple[int, Span], list[Range]] = defaultdict(list)
    for entry in entries:
        rule_ports = _tcp_ports(entry)
        if rule_ports is None:
            continue
        version, first, last = _range(entry.cidr)
        still: list[Part] = []
        for (client_version, low, high), span in undecided:
            addresses = (max(low, first), min(high, last))
            matched = (max(span[0], rule_ports[0]), min(span[1], rule_ports[1]))
            if client_version != version or addresses[0] > addresses[1] or matched[0] > matched[1]:
                still.append(((client_version, low, high), span))
                continue
            if not entry.allows:
                denied[(entry.number, matched)].append((version, *addresses))
            still += [((version, *rest), span) for rest in _outside((low, high), addresses)]
            still += [((version, *addresses), rest) for rest in _outside(span, matched)]
        undecided = still
    for client, span in undecided:
        denied[(ASTERISK_RULE, span)].append(client)
    return denied


def _tcp_ports(entry: AclEntry) -> Span | None:
    """The TCP ports a rule matches: every port for all protocols (-1) or a TCP rule without a range; none for
    any other protocol."""
    if entry.protocol == ALL_PROTOCOLS:
        return ALL_PORTS
    if entry.protocol == TCP:
        return entry.ports or ALL_PORTS
    return None


def _outside(span: Span, inner: Span) -> list[Span]:
    """What of ``span`` lies below and above ``inner``, which lies within it."""
    below = [(span[0], inner[0] - 1)] if span[0] < inner[0] else []
    above = [(inner[1] + 1, span[1])] if inner[1] < span[1] else []
    return below + above


def _without(ranges: Iterable[Range], cuts: Iterable[Range]) -> list[Range]:
    """``ranges`` less the addresses of ``cuts``."""
    remaining = list(ranges)
    for cut_version, first, last in cuts:
        kept: list[Range] = []
        for version, low, high in remaining:
            common = (max(low, first), min(high, last))
            if version != cut_version or common[0] > common[1]:
                kept.append((version, low, high))
            else:
                kept += [(version, *rest) for rest in _outside((low, high), common)]
        remaining = kept
    return remaining


@lru_cache(maxsize=4096)
def _range(cidr: str) -> Range:
    """A CIDR block's addresses as integers; parsed once per block, not once per subnet and rule."""
    network = ip_network(cidr, strict=False)
    return network.version, int(network.network_address), int(network.broadcast_address)


def _merged(ranges: Iterable[Range]) -> list[Range]:
    """Ranges joined where they overlap or touch, IPv4 before IPv6, lowest first."""
    merged: list[Range] = []
    for version, low, high in sorted(ranges):
        if merged and merged[-1][0] == version and low <= merged[-1][2] + 1:
            merged[-1] = (version, merged[-1][1], max(merged[-1][2], high))
        else:
            merged.append((version, low, high))
    return merged


def _cidrs(ranges: Iterable[Range]) -> list[str]:
    """Ranges as the fewest CIDR blocks that cover exactly them."""
    blocks: list[str] = []
    for version, low, high in _merged(ranges):
        if version == 4:
            blocks += map(str, summarize_address_range(IPv4Address(low), IPv4Address(high)))
        else:
            blocks += map(str, summarize_address_range(IPv6Address(low), IPv6Address(high)))
    return blocks


def _detail(endpoint: Endpoint, blocks: Sequence[Block]) -> str:
    """One sentence per rule that blocks, with the endpoint subnets whose network ACL it is."""
    grouped: dict[tuple[str, str, int, Span], tuple[list[str], list[Range]]] = {}
    for block in blocks:
        subnets, ranges = grouped.setdefault(
            (block.network_acl_id, block.direction, block.rule_number, block.ports), ([], [])
        )
        subnets.append(block.subnet_id)
        ranges += block.ranges
    rules = []
    for (acl_id, direction, rule_number, ports), (subnets, ranges) in grouped.items():
        rule = "*" if rule_number == ASTERISK_RULE else str(rule_number)
        span = str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"
        towards = "from" if direction == INBOUND else "to"
        denied = ", ".join(_cidrs(ranges))
        rules.append(f"{acl_id} ({', '.join(subnets)}) {direction} rule {rule} denies TCP {span} {towards} {denied}")
    return (
        f"The network ACLs of {endpoint.id}'s subnets block HTTPS with its clients: {'; '.join(rules)}. Network "
        "ACLs are stateless: a call needs inbound TCP 443 from the client and outbound TCP 1024-65535 back to it, "
        "so calls from these ranges time out, which looks like a DNS fault. Allow that traffic in the network "
        "ACL, numbered before the rules named; a network ACL is shared by its subnets, so it is never changed "
        "automatically."
    )


CHECK = Check(
    id="nacl-blocks-https",
    severity=Severity.HIGH,
    title="Network ACL of an interface endpoint's subnet blocks HTTPS with its clients",
    remediation_action="allow-https-through-network-acl",
    automatic=False,
    evaluate=evaluate,
)
