"""Route names for custom domains (cms.routes): DNS labels, distinct per domain."""

import re

from cms.routes import route_name


def test_route_names_are_dns_labels_and_distinct_even_when_shortened():
    long_one = "a" * 60 + ".example.org"
    long_two = "a" * 60 + ".example.net"
    names = [route_name("cms", d) for d in ("blog.example.org", "Blog.Example.ORG", long_one, long_two)]
    assert names[0] == names[1] == "cms-domain-blog-example-org"
    for name in names:
        assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name
    assert names[2] != names[3]
