"""Playbooks: one module per remediation action, each turning a finding and its facts into a plan or a ticket."""
