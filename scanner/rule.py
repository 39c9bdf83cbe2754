"""The rule-authoring interface: metadata, the `@rule` decorator and the evaluation context.

A rule is metadata plus one pure function of the inventory. Its documentation is the
function's docstring (shown by `opscheck explain` and the generated rules page), so
there is never a second copy to keep in step.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.inventory import Inventory
from scanner.model import Resource, ResourceRef, Result, Scope, Severity, Status

RULE_ID = re.compile(r"^[A-Z][A-Z0-9_]*[0-9]+$")
SOURCES = ("aws", "terraform", "cloudformation")


@dataclass(frozen=True)
class RuleMeta:
    id: str
    name: str
    title: str
    severity: Severity
    family: str
    description: str
    remediation: str
    terraform: str = ""
    cloudformation: str = ""
    references: tuple[str, ...] = ()
    compliance: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = SOURCES
    # Resource type -> facets the rule reads. Sources collect only these; a facet
    # is an extra, costlier read of a type (e.g. a trail's status or selectors).
    needs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    precision: str = "high"
    # Set by a severity override in opscheck.yml: every result takes `severity`, also
    # where the rule would have chosen another one for a result (e.g. a read replica).
    severity_overridden: bool = False

    def remediation_markdown(self) -> str:
        parts = [self.remediation.strip()]
        if self.terraform.strip():
            parts.append("Terraform:\n\n```hcl\n" + self.terraform.strip() + "\n```")
        if self.cloudformation.strip():
            parts.append("CloudFormation:\n\n```yaml\n" + self.cloudformation.strip() + "\n```")
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "severity": self.severity.value,
            "family": self.family,
            "description": self.description,
            "remediation": self.remediation_markdown(),
            "references": list(self.references),
            "compliance": {k: list(v) for k, v in sorted(self.compliance.items())},
            "sources": list(self.sources),
            "precision": self.precision,
        }


Evaluator = Callable[[Inventory, "RuleContext"], Iterable[Result]]


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    evaluate_fn: Evaluator
    module: str = ""

    @property
    def id(self) -> str:
        return self.meta.id

    def iter_results(self, inventory: Inventory, params: Mapping[str, Any] | None = None) -> Iterator[Result]:
        ctx = RuleContext(self.meta, {**self.meta.params, **(params or {})})
        yield from self.evaluate_fn(inventory, ctx)

    def evaluate(self, inventory: Inventory, params: Mapping[str, Any] | None = None) -> list[Result]:
        return list(self.iter_results(inventory, params))


def rule(
    *,
    id: str,
    name: str,
    title: str,
    severity: Severity | str,
    family: str,
    remediation: str,
    terraform: str = "",
    cloudformation: str = "",
    references: Iterable[str] = (),
    compliance: Mapping[str, Iterable[str]] | None = None,
    sources: Iterable[str] = SOURCES,
    needs: Mapping[str, Iterable[str]] | None = None,
    params: Mapping[str, Any] | None = None,
    precision: str = "high",
) -> Callable[[Evaluator], Rule]:
    """Register a function as a rule. The function's docstring is its description."""

    def wrap(fn: Evaluator) -> Rule:
        if not RULE_ID.match(id):
            raise ValueError(f"rule id {id!r} must look like CT001")
        unknown_sources = set(sources) - set(SOURCES)
        if unknown_sources:
            raise ValueError(f"rule {id}: unknown sources {sorted(unknown_sources)}")
        doc = inspect.cleandoc(fn.__doc__ or "")
        if not doc:
            raise ValueError(f"rule {id}: the function needs a docstring (its description)")
        meta = RuleMeta(
            id=id,
            name=name,
            title=title,
            severity=Severity(severity),
            family=family,
            description=doc,
            remediation=inspect.cleandoc(remediation),
            terraform=inspect.cleandoc(terraform),
            cloudformation=inspect.cleandoc(cloudformation),
            references=tuple(references),
            compliance={k: tuple(v) for k, v in (compliance or {}).items()},
            sources=tuple(sources),
            needs={k: frozenset(v) for k, v in (needs or {}).items()},
            params=dict(params or {}),
            precision=precision,
        )
        return Rule(meta=meta, evaluate_fn=fn, module=fn.__module__)

    return wrap


class RuleContext:
    """Handed to a rule's function: its metadata, its parameters and result builders."""

    def __init__(self, meta: RuleMeta, params: Mapping[str, Any]) -> None:
        self.meta = meta
        self.params = params

    def result(
        self,
        status: Status,
        resource: Resource | ResourceRef,
        message: str,
        evidence: Mapping[str, Any] | None = None,
        *,
        severity: Severity | str | None = None,
        discriminator: str | None = None,
    ) -> Result:
        configuration = None
        if isinstance(resource, Resource):
            ref, location = resource.ref(), resource.location()
            if resource.origin.source != "aws":
                configuration = resource.scope
        else:
            ref, location = resource, None
        return Result(
            rule_id=self.meta.id,
            status=status,
            severity=self.meta.severity
            if severity is None or self.meta.severity_overridden
            else Severity(severity),
            message=message,
            resource=ref,
            evidence=dict(evidence or {}),
            location=location,
            discriminator=discriminator,
            configuration=configuration,
        )

    def fail(self, resource: Resource | ResourceRef, message: str, evidence=None, **kw) -> Result:
        return self.result(Status.FAIL, resource, message, evidence, **kw)

    def passed(self, resource: Resource | ResourceRef, message: str, evidence=None, **kw) -> Result:
        return self.result(Status.PASS, resource, message, evidence, **kw)

    def unknown(self, resource: Resource | ResourceRef, message: str, evidence=None, **kw) -> Result:
        return self.result(Status.UNKNOWN, resource, message, evidence, **kw)

    @staticmethod
    def account(scope: Scope, region: str | None = None) -> ResourceRef:
        """The `AWS::Account` resource of account-level results."""
        return scope.account_ref(region)

    def gap_unknowns(
        self, inventory: Inventory, scope: Scope, resource_type: str, noun: str
    ) -> Iterator[Result]:
        """One `unknown` per account/region where `resource_type` could not be listed.

        Resources that were never seen cannot get results of their own; this keeps
        the verdict on them visible instead of silently absent.
        """
        # One per region: a type listed once per parent (EventBridge rules, per bus) can fail
        # several times there, and two results on one subject would collide.
        by_region: dict[str | None, list[Any]] = {}
        for gap in inventory.gaps_for(resource_type, scope):
            by_region.setdefault(gap.region, []).append(gap)
        for region, gaps in by_region.items():
            where = f" in {region}" if region else ""
            codes = ", ".join(dict.fromkeys(g.error.code or g.error.kind for g in gaps))
            evidence: dict[str, Any] = {"error": gaps[0].error.to_dict()}
            if len(gaps) > 1:
                evidence["errors"] = [g.error.to_dict() for g in gaps]
            yield self.unknown(
                self.account(scope, region),
                f"{noun}{where} of account {scope.account_id} could not be listed "
                f"({codes}), so {self.meta.id} cannot judge them.",
                evidence,
                discriminator=f"gap:{resource_type}",
            )
