"""KeyLocks: same key serialises, different keys do not, and no entry outlives its holders."""

from __future__ import annotations

import threading

from integrations.locks import KeyLocks


def test_same_key_serialises_and_cleans_up() -> None:
    locks = KeyLocks()
    inside: list[str] = []
    overlap: list[bool] = []

    def work(name: str) -> None:
        with locks.hold("k"):
            overlap.append(bool(inside))
            inside.append(name)
            threading.Event().wait(0.02)
            inside.remove(name)

    workers = [threading.Thread(target=work, args=(str(i),)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert overlap == [False] * 4
    assert locks._locks == {}


def test_different_keys_do_not_block() -> None:
    locks = KeyLocks()
    with locks.hold("a"):
        done = threading.Event()

        def other() -> None:
            with locks.hold("b"):
                done.set()

        t = threading.Thread(target=other)
        t.start()
        assert done.wait(5)
        t.join()
