"""allow-https-through-network-acl: one test per scenario of the playbook's docstring."""

from __future__ import annotations

from remediation_builders import ticketed
from unit.checks.facts_builders import DEFAULT_ACL, acl_rule, facts, interface_endpoint, network_acl, private_subnets


def test_a_blocking_network_acl_is_a_ticket_naming_its_rules_and_what_to_allow() -> None:
    deny = acl_rule(90, "deny", protocol="6", cidr="10.0.200.0/24", ports=(443, 443))
    only_https_in = network_acl(deny, acl_rule(100, protocol="6", cidr="10.0.0.0/16", ports=(443, 443)))
    estate = facts(endpoints=[interface_endpoint(subnets=private_subnets([0]))], network_acls=[only_https_in])

    ticket = ticketed("nacl-blocks-https", estate)

    assert ticket.reason == (
        "a network ACL is shared by every subnet associated with it, so it is never changed automatically: in "
        f"{DEFAULT_ACL} (rules inbound 90, outbound *), allow inbound TCP 443 from 10.0.0.0/16 and outbound TCP "
        "1024-65535 to them, numbered before the rules named"
    )
