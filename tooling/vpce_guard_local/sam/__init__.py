"""The local run of the whole application on the emulator: ``vpce-guard local up``, ``local send`` and
``local drain``.

- ``template``: template.yaml transformed offline by aws-sam-translator, and read back;
- ``deploy``: the transformed template's resources created in a running emulator (``local up``);
- ``intrinsics``: Ref, Fn::GetAtt, Fn::Sub and conditions resolved to the local physical values;
- ``stack``: the local stack file that records them;
- ``router``: an event routed the way EventBridge and AWS Config would route it (``local send``);
- ``streams``: a table's stream delivered the way Lambda's event source mapping does (``local drain``);
- ``runtime`` and ``worker``: each function run in a process of its own, with the template's environment;
- ``built``: the functions as ``sam build`` built them, run the same way by python3.12 (``make build``).

Nothing here is imported by the Lambda functions; aws-sam-translator is imported only when a template is
loaded.
"""
