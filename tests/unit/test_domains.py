"""Domain tokens, the check's refusal of private addresses, and the DNS advice (cms.domains)."""

from __future__ import annotations

import pytest

from cms.domains import CheckFailed, DomainChecker, DomainTokens, dns_advice


def test_a_token_is_valid_for_its_domain_and_secret_only():
    tokens = DomainTokens("secret-one")
    token = tokens.make("blog.example.org")
    assert tokens.valid(token, "blog.example.org")
    assert not tokens.valid(token, "www.blog.example.org")
    assert not DomainTokens("secret-two").valid(token, "blog.example.org")
    assert tokens.make("blog.example.org") != token  # a fresh nonce each time
    for bad in ("", "x", token + "x", token.replace(".", "-"), "../../etc/passwd"):
        assert not tokens.valid(bad, "blog.example.org"), bad


async def test_the_check_refuses_names_that_point_at_private_addresses():
    """An owner's typed name must not make the platform fetch its own network."""
    token = DomainTokens("s").make("localhost")
    with pytest.raises(CheckFailed, match="points at no public address"):
        await DomainChecker().check("localhost", token)


def test_dns_advice_is_a_cname_to_the_site_or_the_configured_target():
    site = {"name": "mag"}
    assert dns_advice(site, "blogs.example.com", None) == {"type": "CNAME", "value": "mag.blogs.example.com."}
    assert dns_advice(site, "b.example", "router.apps.example.com") == {"type": "CNAME",
                                                                        "value": "router.apps.example.com."}
    assert dns_advice(site, "b.example", "203.0.113.7") == {"type": "A", "value": "203.0.113.7"}
