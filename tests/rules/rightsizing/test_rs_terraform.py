"""RS005, RS008, RS009 on Terraform: fail, pass and unknown on named resources, asserted
exactly. An aws_ebs_volume without `type` is gp2 (the API default); a launch template's
type is judged on the template; an aws_instance taking its type from a launch template is
judged there, not twice."""

from __future__ import annotations

from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

MAIN = """
variable "type" {}

resource "aws_instance" "old" {
  ami           = "ami-1"
  instance_type = "m3.large"
}
resource "aws_instance" "current" {
  ami           = "ami-1"
  instance_type = "m7g.large"
}
resource "aws_instance" "huge" {
  ami           = "ami-1"
  instance_type = "c6i.32xlarge"
}
resource "aws_instance" "vague" {
  ami           = "ami-1"
  instance_type = var.type
}
resource "aws_instance" "templated" {
  launch_template {
    id = aws_launch_template.gpu.id
  }
}
resource "aws_launch_template" "gpu" {
  instance_type = "p4d.24xlarge"
}
resource "aws_db_instance" "db" {
  engine         = "postgres"
  instance_class = "db.r4.large"
}
resource "aws_sagemaker_endpoint_configuration" "cfg" {
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.c5.xlarge"
    initial_instance_count = 2
  }
}
resource "aws_ebs_volume" "default" {
  availability_zone = "us-east-1a"
  size              = 100
}
resource "aws_ebs_volume" "gp3" {
  availability_zone = "us-east-1a"
  size              = 100
  type              = "gp3"
}
resource "aws_ebs_volume" "vague" {
  availability_zone = "us-east-1a"
  size              = 100
  type              = var.type
}
"""

EXPECTED = {
    ("RS005", "aws_ebs_volume.default"): ("fail", "low"),
    ("RS005", "aws_ebs_volume.gp3"): ("pass", "low"),
    ("RS005", "aws_ebs_volume.vague"): ("unknown", "low"),
    ("RS008", "aws_instance.old"): ("fail", "low"),
    ("RS008", "aws_instance.current"): ("pass", "low"),
    ("RS008", "aws_instance.huge"): ("pass", "low"),
    ("RS008", "aws_instance.vague"): ("unknown", "low"),
    ("RS008", "aws_launch_template.gpu"): ("pass", "low"),
    ("RS008", "aws_db_instance.db"): ("fail", "info"),  # r4: older, not previous
    ("RS008", "aws_sagemaker_endpoint_configuration.cfg"): ("pass", "low"),
    ("RS009", "aws_instance.old"): ("pass", "medium"),
    ("RS009", "aws_instance.current"): ("pass", "medium"),
    ("RS009", "aws_instance.huge"): ("fail", "medium"),
    ("RS009", "aws_instance.vague"): ("unknown", "medium"),
    ("RS009", "aws_launch_template.gpu"): ("fail", "medium"),
    ("RS009", "aws_db_instance.db"): ("pass", "medium"),
    ("RS009", "aws_sagemaker_endpoint_configuration.cfg"): ("pass", "medium"),
}


def test_the_matrix_is_exact(tmp_path):
    write(tmp_path / "cfg", {"main.tf": MAIN})
    out = scan_iac([tmp_path / "cfg"], rules("RS005", "RS006", "RS008", "RS009"), tmp_path)
    got = {
        (r.rule_id, r.resource.id): (r.status.value, r.severity.value)
        for rule_id in ("RS005", "RS006", "RS008", "RS009")
        for r in results(out, rule_id)
    }
    assert got == EXPECTED
    gp2 = next(r for r in results(out, "RS005") if r.resource.id == "aws_ebs_volume.default")
    assert "no type given: gp2 is the default" in gp2.message
