"""The account page names each session's device from its User-Agent, briefly."""

from __future__ import annotations

import pytest

from cms.sessions import device_of

CASES = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
     "Safari/537.36 Edg/119.0.2151.58", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
     "Safari/605.1.15", "Safari on macOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile "
     "Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 "
     "Safari/537.36", "Chrome on Linux"),
    ("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/120.0 "
     "Mobile/15E148 Safari/605.1.15", "Firefox on iPad"),
    ("curl/8.4.0", "curl"),
    ("Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0", "A browser on Linux"),
    ("", "An unknown browser"),
    ("<script>" * 1000, "An unknown browser"),
]


@pytest.mark.parametrize(("user_agent", "device"), CASES)
def test_a_user_agent_becomes_a_short_device_name(user_agent: str, device: str) -> None:
    assert device_of(user_agent) == device
