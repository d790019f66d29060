"""docs/flows.md draws every step of the guided conversations, and nothing the code lacks."""

from __future__ import annotations

import re

import pytest

from handlers.activities import staff as activity_staff
from handlers.broadcasts import staff as broadcast_staff
from handlers.canteen import ordering
from handlers.polls import create as poll_create
from handlers.residents import onboarding
from tests.support import ROOT

FLOWS = ROOT / "docs" / "flows.md"
# Each diagram's heading starts with the flow's name; the code's steps for it.
CODE_STATES = {
    "/newevent": {*activity_staff.STEPS, "preview"},
    "/newpoll": set(poll_create.STEPS),
    "/broadcast": set(broadcast_staff.STEPS),
    "Ordering a meal": {ordering.CONFIRM, ordering.ADDRESS},
    "Joining a community": {onboarding.JOIN},
}
_TRANSITION = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)", re.M)


def diagrams() -> dict[str, str]:
    """Return each Mermaid diagram of the page by its heading."""
    found = {}
    for section in FLOWS.read_text(encoding="utf-8").split("\n## ")[1:]:
        heading, _, body = section.partition("\n")
        block = re.search(r"```mermaid\n(.*?)```", body, re.S)
        assert block, f"no diagram under {heading!r}"
        found[heading] = block.group(1)
    return found


def drawn_states(diagram: str) -> set[str]:
    """Return the states a diagram's transitions name ([*] is outside the flow)."""
    assert diagram.lstrip().startswith("stateDiagram-v2")
    names = {name for pair in _TRANSITION.findall(diagram) for name in pair}
    return names - {"[*]"}


@pytest.mark.parametrize("flow", sorted(CODE_STATES))
def test_the_diagram_and_the_code_have_the_same_states(flow: str) -> None:
    [diagram] = [d for heading, d in diagrams().items() if heading.startswith(flow)]
    in_code = {state.replace(".", "_") for state in CODE_STATES[flow]}
    drawn = drawn_states(diagram)
    assert drawn - in_code == set(), "drawn, but not a step in the code"
    assert in_code - drawn == set(), "a step in the code, not drawn"


def test_every_diagram_on_the_page_is_checked() -> None:
    headings = diagrams()
    assert len(headings) == len(CODE_STATES)
    for heading in headings:
        assert any(heading.startswith(flow) for flow in CODE_STATES), heading


def test_a_state_the_code_lacks_is_caught() -> None:
    drawn = drawn_states("stateDiagram-v2\n    [*] --> title\n    title --> colour\n")
    assert drawn - {"title"} == {"colour"}
