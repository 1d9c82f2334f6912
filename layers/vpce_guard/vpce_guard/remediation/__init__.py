"""Remediation: plans before calls, a snapshot before every change, verification after, rollback on demand.

- ``plans``: ``plan_for(finding, facts)`` gives the exact API calls (a ``Plan``) or a ``TicketOnly`` with the
  reason; ``PERMISSIONS`` lists the IAM actions of each remediation action;
- ``configuration``: what a change can touch on a resource, read as plain JSON (``READ_PERMISSIONS``);
- ``executor``: ``apply(session, plan)`` snapshots, calls, re-reads and verifies;
- ``rollback``: ``restore(session, resource, before, after, force=...)`` puts the snapshot back.

Playbooks (``playbooks/``, one per remediation action) decide what to change; the generic runbooks
(``runbooks``) build the calls every playbook and rollback is made of.
"""
