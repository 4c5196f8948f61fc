"""The operator's documents: complete and self-contained.

Every environment variable the app or its gunicorn configuration reads is in
the README's Configuration section, every document a page links to is in the
repository, and the operator's guide covers each task with commands.
"""

from __future__ import annotations

import re

from cms.config import REPO_ROOT

READS = re.compile(r'(?:env\.get\(|env\[|_number\(env, |environ\.get\()"([A-Z][A-Z0-9_]+)"')
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def section(text: str, title: str) -> str:
    start = text.index("\n## %s\n" % title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_every_variable_read_is_in_the_configuration_table():
    sources = [*sorted((REPO_ROOT / "cms").rglob("*.py")), REPO_ROOT / "openshift" / "gunicorn.conf.py",
               REPO_ROOT / "wsgi.py"]
    read = {name for path in sources for name in READS.findall(path.read_text())}
    assert {"CMS_SHUTDOWN_GRACE", "CMS_DATABASE", "WEB_CONCURRENCY", "COOKIE_SECRET_OLD"} <= read
    table = section((REPO_ROOT / "README.md").read_text(), "Configuration")
    assert sorted(name for name in read if "`%s`" % name not in table) == []


def test_documents_link_only_to_files_in_the_repository():
    for document in DOCUMENTS:
        text = document.read_text()
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            assert (document.parent / target).exists(), (document.name, target)
        for named in re.findall(r"\b((?:docs/[\w-]+|[A-Z][A-Z_-]+)\.md)\b", text):
            assert (REPO_ROOT / named).exists() or (document.parent / named).exists(), (document.name, named)


def test_the_operators_guide_covers_each_task_with_oc_commands():
    guide = (REPO_ROOT / "docs" / "operating.md").read_text()
    for task in ("Deploy", "Scale", "Back up", "Restore", "Rotate", "Upgrade", "Monitor"):
        body = section(guide, task)
        assert "```sh" in body and ("oc " in body or "python -m cms" in body), task
    assert "## What needs a real cluster" in guide
