"""One lock_contention finding per object shared across processes (a multiprocessing
lock, a Manager Lock), from the summary's per-process rows of that object."""

from __future__ import annotations

from typing import Any

from concurtrace.model.timeline import Finding


def shared_contention(rows: list[dict[str, Any]], kinds: tuple[str, ...], min_share: float,
                      min_ns: int, human: Any) -> list[Finding]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("_shared") and row["kind"] in kinds:
            groups.setdefault(str(row["_shared"]), []).append(row)
    findings: list[Finding] = []
    for found in groups.values():
        waited = sum(int(r["total_wait_ns"]) for r in found)
        lives = sum(int(r["_lives_ns"]) for r in found)
        if not lives or waited < min_ns or waited / lives < min_share:
            continue
        threads = sum(len(r["waiters"]) for r in found)
        label = found[0]["label"]
        message = (f"{threads} threads in {len(found)} processes waited {waited / lives:.0%} "
                   f"of their lives for {label}" if len(found) > 1 else
                   f"{threads} thread(s) of {found[0]['process']} waited "
                   f"{waited / lives:.0%} of their lives for {label}")
        holds = [r["_mean_hold_ns"] for r in found if r.get("_mean_hold_ns")]
        if holds:
            message += f"; each holder kept it {human(sum(holds) / len(holds))} on average"
        findings.append(Finding("lock_contention", found[0]["pid"], None, message + ".",
                                "Hold it for less time (do slow work outside it), or give "
                                "each process its own share of the data.", 3))
    return findings
