"""Which region a Terraform resource is deployed to, as far as the files say: a literal
`region` argument on the resource, the `aws` provider configuration it names
(`provider = aws.west`), or its module's default `aws` provider (a module's own provider
block, one passed down with `providers = { aws = aws.west }`, or the root's).

A deployment is (region, label): the region when a literal decides it, otherwise a label
naming the provider configuration, so that two resources of one configuration can still be
told to be deployed together. (None, None) is the root's default provider whose region is
not written in the files: the region of the configuration, whatever it is at apply time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scanner.sources.terraform.hcl import Block
from scanner.sources.terraform.module import provider_alias

if TYPE_CHECKING:
    from scanner.sources.terraform.module import ModuleInstance

Deployment = tuple[str | None, str | None]
CONFIGURATION_DEFAULT: Deployment = (None, None)

# `aws = aws.west` (or `aws = aws`, or anything else) inside a module call's `providers` map.
_PASSED = re.compile(r"(?<![\w.\"])\"?aws\"?\s*=\s*([^\s,}]+)")
_COMMENTS = re.compile(r"#[^\n]*|//[^\n]*|/\*.*?\*/", re.DOTALL)


def _where(inst: ModuleInstance) -> str:
    return f" of {inst.prefix[:-1]}" if inst.prefix else ""


def _text(attr: Any) -> str:
    """An attribute as written: HCL source, or the JSON value of a .tf.json file."""
    expr = attr.expr
    if hasattr(expr, "type"):
        return attr.source.slice(expr).strip()
    return expr if isinstance(expr, str) else json.dumps(expr, sort_keys=True)


def provider_block(inst: ModuleInstance, alias: str | None) -> Block | None:
    """The module's own `provider "aws"` block with that alias (None: without one)."""
    return next((b for b in inst.mod.providers if provider_alias(b) == alias), None)


def _declared(inst: ModuleInstance, block: Block, name: str) -> Deployment:
    attr = block.attributes.get("region")
    value = inst.evaluator().eval(attr.expr, attr.source) if attr is not None else None
    if isinstance(value, str) and value:
        return (value, None)
    return (None, f"provider {name}{_where(inst)}")


def _alias(inst: ModuleInstance, alias: str) -> Deployment:
    block = provider_block(inst, alias)
    if block is None:  # passed in through configuration_aliases: not followed
        return (None, f"provider aws.{alias}{_where(inst)}")
    return _declared(inst, block, f"aws.{alias}")


def root_default(root: ModuleInstance) -> Deployment:
    block = provider_block(root, None)
    if block is None:
        return CONFIGURATION_DEFAULT
    region, _ = _declared(root, block, "aws")
    return (region, None) if region else CONFIGURATION_DEFAULT


def module_default(child: ModuleInstance, call: Block, parent: ModuleInstance) -> Deployment:
    """The default `aws` provider of a module instance."""
    own = provider_block(child, None)
    if own is not None:  # a module configuring its own provider (legacy, still seen)
        return _declared(child, own, "aws")
    providers = call.attributes.get("providers")
    if providers is None:
        return parent.deployment
    passed = _passed_aws(providers)
    if passed is None:  # the map does not pass `aws`: the default is inherited
        return parent.deployment
    if passed == "aws":
        return parent.deployment
    if passed.startswith("aws."):
        return _alias(parent, passed[len("aws.") :])
    return (None, f"providers {{ aws = {passed} }}{_where(parent)}")


def _passed_aws(providers: Any) -> str | None:
    """What a module call's `providers` map passes as `aws` ("aws.west", "aws"), None when
    it passes no `aws`. HCL: the map's text without comments; .tf.json: the object."""
    expr = providers.expr
    if not hasattr(expr, "type"):
        value = expr.get("aws") if isinstance(expr, Mapping) else None
        return value.strip() if isinstance(value, str) else None
    text = _COMMENTS.sub(" ", providers.source.slice(expr))
    m = _PASSED.search(text)
    return m.group(1) if m else None


def resource_deployment(block: Block, values: Mapping[str, Any], inst: ModuleInstance) -> Deployment:
    region = values.get("region")  # AWS provider 6: a per-resource region argument
    if isinstance(region, str) and region:
        return (region, None)
    if region is not None and "region" in block.attributes:  # set, but not known: never the provider's
        return (None, f"region = {_text(block.attributes['region'])}{_where(inst)}")
    provider = block.attributes.get("provider")
    if provider is None:
        return inst.deployment
    text = _text(provider)
    if text == "aws":
        return inst.deployment
    if text.startswith("aws."):
        return _alias(inst, text[len("aws.") :])
    return (None, f"provider {text}{_where(inst)}")
