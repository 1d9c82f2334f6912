"""Tickets and notifications from the state table's stream (the outbox): a state change of a finding reaches
each channel once, even when the function that wrote it, or the notifier itself, is retried.

- ``events``: stream records read as state changes of findings;
- ``notifier``: per change, what each channel is told, delivered once (the guarantee is stated there);
- ``ledger``: the deliveries and tickets, kept in the state table;
- ``slack``, ``jira``, ``opscenter``, ``sns``, ``security_hub``: the channels; ``messages`` what they all say;
  ``http`` the standard-library HTTP they use;
- ``function``: the Lambda function's wiring (environment, batch processing);
- ``receiver``: a local HTTP server standing in for Slack and Jira in tests and the demo.
"""
