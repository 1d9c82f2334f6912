"""Before deploy: the checks on a Terraform plan (``check-plan``) or a CloudFormation template (``check-template``).

The checks stay pure functions of ``Facts``; a reader builds those facts from what the plan or template says
(``plan``, ``template``), and ``model`` judges them, reporting as unknown every check whose facts are known
only after apply (docs/before-deploy.md).
"""
