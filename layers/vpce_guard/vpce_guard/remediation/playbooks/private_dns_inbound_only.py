"""private-dns-inbound-only (s3-interface-bypasses-gateway): let the interface endpoint's private DNS answer only the
inbound Resolver endpoint, so in-VPC calls take the free gateway endpoint and on-premises ones the interface.

Why: in-VPC calls through the interface endpoint are billed per GB, through the gateway not at all (seeds 000
and 002). The change moves the VPC's calls from one endpoint to the other, so it is made only where nothing
that admits them today would refuse them through the gateway, and the facts say so (an automatic change never
denies a caller; where the facts are in doubt, a ticket):

- every route table the VPC's subnets use is associated with a gateway endpoint of the service (a subnet
  without the route would leave through NAT or the internet, or fail);
- no gateway endpoint admits less than the interface endpoint (its policy is AWS's default full access or the
  interface endpoint's own);
- every security group of the VPC that lets HTTPS out lets it out to anywhere (0.0.0.0/0) or to the prefix list
  the gateway endpoint is routed by: through the gateway, calls go to the service's public addresses, not to
  the interface endpoint's addresses in the VPC. A group that lets no HTTPS out calls the service through
  neither endpoint; a narrower range (a VPC CIDR, the endpoint's group, a public range) cannot be told to
  cover the service's addresses. The interface endpoint's own groups are judged too, in case clients share them;
- no policy of the account's own buckets names the interface endpoint in ``aws:SourceVpce`` (a call through
  the gateway carries the gateway's id there), and every one of them could be read
  (``vpce_guard.bucket_policies``: read only when this plan is made and every test above passed, at most
  ``max_bucket_policies`` buckets, so a ticket for another reason costs no S3 call and names its real cause).

What cannot be read stays in the plan's text as residual risk: buckets of other accounts, access point policies
and identity or organization policies naming the endpoint. The rollback is exact: the option turned back off.

Scenarios:
- every route table in use covered, the gateway policies default or the interface endpoint's, every group
  reaching the service's public addresses, no bucket policy naming the endpoint -> one ModifyVpcEndpoint
  DnsOptions PrivateDnsOnlyForInboundResolverEndpoint=true;
- a route table in use not associated with any gateway endpoint of the service (evidence
  ``route_tables_without_gateway``) -> ticket naming the tables and their subnets;
- a gateway endpoint whose policy is neither AWS's default nor the interface endpoint's, or cannot be read ->
  ticket naming it: in-VPC callers would be judged by its policy instead;
- a security group letting HTTPS out only to other destinations (the VPC's CIDR, a group) -> ticket naming the
  group(s) and the prefix list;
- a bucket policy naming the endpoint in aws:SourceVpce (any operator, any case of the key, by a wildcard too)
  -> ticket naming the bucket(s) and statement(s);
- a bucket whose policy could not be read (AccessDenied, any other error) -> ticket naming it and the error;
- the buckets could not be listed (the role refused, no path to S3) -> ticket saying why;
- more buckets than ``max_bucket_policies``, or no reader of the bucket policies -> ticket saying so;
- a DynamoDB interface endpoint -> ticket: its tables' resource policies, which may name it, are not read.
"""

from __future__ import annotations

from vpce_guard.bucket_policies import PERMISSIONS as BUCKET_POLICY_PERMISSIONS
from vpce_guard.bucket_policies import SOURCE_VPCE, BucketPolicies, BucketPoliciesUnavailable
from vpce_guard.catalog import load_catalog
from vpce_guard.facts import IPV4_ANYWHERE, Endpoint, Facts, SecurityGroup
from vpce_guard.findings import Finding
from vpce_guard.remediation.model import Plan, PlanOptions, Playbook, TicketOnly
from vpce_guard.remediation.playbooks.base import HTTPS, endpoint_of, endpoint_ref
from vpce_guard.remediation.runbooks import modify_endpoint

S3 = "s3"
# What could refuse the moved calls and is never read: said in every plan.
RESIDUAL = (
    "buckets of other accounts, access point policies, and identity or service control policies, which may name "
    "the interface endpoint too"
)


def plan(finding: Finding, facts: Facts, options: PlanOptions) -> Plan | TicketOnly:
    endpoint = endpoint_of(finding, facts)
    then = f"then turn on private DNS only for the inbound Resolver endpoint of {endpoint.id}"
    uncovered = finding.evidence.get("route_tables_without_gateway", {})
    if uncovered:
        listed = "; ".join(f"{table_id} (subnets {', '.join(subnets)})" for table_id, subnets in uncovered.items())
        return TicketOnly(
            finding,
            f"route table(s) of {endpoint.vpc_id} are not associated with a gateway endpoint of "
            f"{endpoint.service_name}: {listed}; their subnets would reach it through NAT or the internet, or not at "
            f"all, once private DNS stops answering in the VPC. Associate them first (gateway-route-coverage), {then}",
        )
    gateways = [
        gateway for gateway in facts.endpoints if gateway.id in finding.evidence.get("gateway_endpoint_ids", [])
    ]
    narrower = [gateway.id for gateway in gateways if not _admits_as_much(gateway, endpoint)]
    if narrower:
        return TicketOnly(
            finding,
            f"the policy of gateway endpoint {', '.join(narrower)} is neither AWS's default nor that of "
            f"{endpoint.id}: in-VPC callers would be judged by it instead; align the policies, {then}",
        )
    prefix_lists = facts.prefix_lists_of(gateways)
    cut_off = sorted(
        group.id
        for group in facts.security_groups.values()
        if group.vpc_id == endpoint.vpc_id and _loses_the_service(group, prefix_lists)
    )
    if cut_off:
        reachable = " or ".join([*sorted(prefix_lists), IPV4_ANYWHERE])
        return TicketOnly(
            finding,
            f"security group(s) {', '.join(cut_off)} of {endpoint.vpc_id} let HTTPS out, but not to {reachable}: "
            f"their instances may call {endpoint.service_name} through {endpoint.id}'s addresses in the VPC today; "
            "once private DNS stops answering in the VPC, the calls go to the service's public addresses, which the "
            f"gateway endpoint's prefix list holds. Let those groups send HTTPS there, {then}",
        )
    service = load_catalog().lookup(endpoint.service_name, endpoint.type)
    if service is None or service.iam_prefix != S3:
        return TicketOnly(
            finding,
            f"the resource policies of {endpoint.service_name}'s resources are not read: one naming {endpoint.id} in "
            f"{SOURCE_VPCE} would refuse the calls once they take the gateway endpoint; check them, {then}",
        )
    if options.bucket_policies is None:
        return TicketOnly(
            finding,
            f"the bucket policies of account {finding.account_id} were not read, and one may name {endpoint.id} in "
            f"{SOURCE_VPCE}; read them, {then}",
        )
    try:
        read = options.bucket_policies()
    except BucketPoliciesUnavailable as error:
        # Whether a bucket would refuse the moved calls cannot be known: no change on doubt.
        return TicketOnly(
            finding,
            f"the bucket policies of account {finding.account_id} could not be read, and one may name {endpoint.id} "
            f"in {SOURCE_VPCE}: {error}; {then}",
        )
    refusal = _refusal(finding, endpoint, read)
    if refusal is not None:
        return TicketOnly(finding, f"{refusal}; {then}")
    return Plan(
        finding,
        endpoint_ref(finding),
        (modify_endpoint(endpoint.id, inbound_resolver_only=True),),
        f"let private DNS of {endpoint.id} ({endpoint.service_name}) answer only the inbound Resolver endpoint, so "
        f"in-VPC calls take {', '.join(gateway.id for gateway in gateways)}: every security group of "
        f"{endpoint.vpc_id} letting HTTPS out reaches the service's public addresses, and no policy of the "
        f"{read.listed} bucket(s) of account {finding.account_id} names {endpoint.id} in {SOURCE_VPCE} ({read.calls} "
        f"S3 calls). Not read: {RESIDUAL}; the rollback turns the option back off",
    )


def _refusal(finding: Finding, endpoint: Endpoint, read: BucketPolicies) -> str | None:
    """Why the account's bucket policies may refuse the calls once they take the gateway endpoint; None when
    every one was read and none names the interface endpoint."""
    account = finding.account_id
    if read.over_limit:
        return (
            f"account {account} has more than {read.max_buckets} buckets (max_bucket_policies), so their policies "
            f"were not read, and one may name {endpoint.id} in {SOURCE_VPCE}: check them, or raise max_bucket_policies"
        )
    if read.unread:
        listed = "; ".join(f"{bucket}: {why}" for bucket, why in sorted(read.unread.items()))
        return f"the policies of bucket(s) of account {account} could not be read, and may name {endpoint.id}: {listed}"
    naming = read.naming(endpoint.id)
    if naming:
        listed = "; ".join(f"{bucket} ({', '.join(labels)})" for bucket, labels in naming.items())
        return (
            f"bucket policies name {endpoint.id} in {SOURCE_VPCE} and would refuse the calls once they take the "
            f"gateway endpoint, whose id they then carry: {listed}. Let them name the gateway endpoint too"
        )
    return None


def _loses_the_service(group: SecurityGroup, prefix_lists: frozenset[str]) -> bool:
    """The group lets HTTPS out, but neither to anywhere (0.0.0.0/0) nor to a prefix list the gateway endpoint
    is routed by: the service's public addresses may be out of its reach (a narrower range cannot be told to
    cover them). A group that lets no HTTPS out reaches the service by neither endpoint, and loses nothing."""
    https = [rule for rule in group.egress if rule.admits_tcp_port(HTTPS)]
    return bool(https) and not any(
        IPV4_ANYWHERE in rule.cidrs or prefix_lists & set(rule.prefix_list_ids) for rule in https
    )


def _admits_as_much(gateway: Endpoint, interface: Endpoint) -> bool:
    """The gateway's policy is AWS's default full access, or the interface endpoint's own."""
    return gateway.policy is not None and (gateway.policy.is_default_full_access or gateway.policy == interface.policy)


PLAYBOOK = Playbook(
    action="private-dns-inbound-only",
    check_ids=("s3-interface-bypasses-gateway",),
    # The account's bucket policies are read before the change (vpce_guard.bucket_policies).
    permissions=("ec2:ModifyVpcEndpoint", *BUCKET_POLICY_PERMISSIONS),
    plan=plan,
)
