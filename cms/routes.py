"""OpenShift Routes for sites' verified custom domains (``python -m cms site domains NAME --route-yaml``).

Each Route is made like the template's own (openshift/template.yaml): edge TLS
that redirects plain HTTP, HSTS, the same router timeout, to the same Service.
Its certificate is left to the operator: the router's default one does not
cover someone else's domain (add ``spec.tls.certificate``/``key``, or let
cert-manager's OpenShift route support fill them).
"""

from __future__ import annotations

import hashlib
import re

import yaml

# As the template's Routes (tests/cli/test_commands.py compares them).
HSTS = "max-age=31536000;includeSubDomains"
ROUTE_TIMEOUT = "660s"
MAX_NAME = 63


def route_name(app: str, domain: str) -> str:
    """``cms-domain-blog-example-org``: a DNS label, unique per domain even when shortened."""
    name = "%s-domain-%s" % (app, re.sub(r"[^a-z0-9]+", "-", domain.lower()).strip("-"))
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(domain.encode()).hexdigest()[:8]
        name = name[: MAX_NAME - 9].rstrip("-") + "-" + digest
    return name


def route(domain: str, app: str, site: str) -> dict:
    return {
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {
            "name": route_name(app, domain),
            "labels": {"app": app, "cms-site": site},
            "annotations": {
                "haproxy.router.openshift.io/hsts_header": HSTS,
                "haproxy.router.openshift.io/timeout": ROUTE_TIMEOUT,
            },
        },
        "spec": {
            "host": domain,
            "to": {"kind": "Service", "name": app, "weight": 100},
            "port": {"targetPort": "http"},
            "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"},
            "wildcardPolicy": "None",
        },
    }


def route_list_yaml(domains: list[str], app: str, site: str) -> str:
    """One ``v1 List`` of Routes, for ``oc apply -f -``."""
    document = {"apiVersion": "v1", "kind": "List", "items": [route(d, app, site) for d in sorted(domains)]}
    return yaml.safe_dump(document, sort_keys=False).rstrip("\n")
