"""`RateLimiter`: a burst, then a steady rate, per key; bounded memory."""

import pytest

from cms.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_rate_per_key():
    clock = Clock()
    limiter = RateLimiter(rate=5.0, burst=3, clock=clock)
    assert [limiter.allow("ann") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("bob")  # another key has its own bucket
    clock.now += 0.1  # half a token
    assert not limiter.allow("ann")
    clock.now += 0.1  # one token
    assert limiter.allow("ann") and not limiter.allow("ann")
    clock.now += 60  # refilled, but never past the burst
    assert [limiter.allow("ann") for _ in range(4)] == [True, True, True, False]


def test_a_refusal_takes_nothing():
    clock = Clock()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    assert limiter.allow("k")
    for _ in range(100):
        clock.now += 0.001
        limiter.allow("k")
    clock.now += 0.95  # over 1 s since the token was taken: the refusals did not push it back
    assert limiter.allow("k")


def test_the_least_recently_used_keys_are_forgotten_past_the_bound():
    limiter = RateLimiter(rate=0.001, burst=1, max_keys=2, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b") and limiter.allow("c")
    assert not limiter.allow("c") and not limiter.allow("b")
    assert limiter.allow("a")  # forgotten, so full again


def test_nonsense_limits_are_refused():
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimiter(rate=1, burst=0)
