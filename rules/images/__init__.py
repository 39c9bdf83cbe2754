"""Images (family `images`): IMG001-IMG004, the AMIs instances launch from and the container
images ECS and SageMaker run, and the ECR repositories that hold them."""
