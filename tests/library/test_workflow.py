"""The review workflow as data: transitions, who may act, four eyes for 深绿."""

import pytest

from greenfin.identity.roles import Role
from greenfin.library.workflow import (
    TRANSITIONS,
    Action,
    ActorRef,
    ProjectState,
    Status,
    WorkflowError,
    allowed_actions,
    plan,
)

OWNER_ORG = 10
ENTERPRISE = ActorRef(1, Role.ENTERPRISE, OWNER_ORG)
OTHER_ENTERPRISE = ActorRef(2, Role.ENTERPRISE, 11)
REVIEWER_A = ActorRef(3, Role.REVIEWER, 20)
REVIEWER_B = ActorRef(4, Role.REVIEWER, 21)
REGULATOR = ActorRef(5, Role.REGULATOR, 20)
BANK = ActorRef(6, Role.BANK, 30)
SYSTEM = ActorRef(None, None, None)


def state(status: Status, reviewer: int | None = None, first: int | None = None):
    return ProjectState(status, OWNER_ORG, reviewer, first)


def refused(kind: str, *args, **kwargs) -> WorkflowError:
    with pytest.raises(WorkflowError) as info:
        plan(*args, **kwargs)
    assert info.value.kind == kind, info.value
    return info.value


def test_every_status_is_reachable_and_every_action_has_one_row():
    targets = {t.target for t in TRANSITIONS if t.target} | {Status.DRAFT}
    assert targets == set(Status)
    assert len({t.action for t in TRANSITIONS}) == len(TRANSITIONS) == len(Action)


def test_happy_path_of_a_medium_green_project():
    step = plan(Action.SUBMIT, state(Status.DRAFT), ENTERPRISE)
    assert (step.from_status, step.to_status) == (Status.DRAFT, Status.SUBMITTED)
    assert plan(Action.SCREEN, state(Status.SUBMITTED), SYSTEM).to_status is Status.SCREENING
    claim = plan(Action.CLAIM, state(Status.SCREENING), REVIEWER_A)
    assert claim.to_status is Status.IN_REVIEW and claim.changes == {"assigned_reviewer_id": 3}
    approve = plan(Action.APPROVE, state(Status.IN_REVIEW, 3), REVIEWER_A, proposed_grade="中绿")
    assert approve.to_status is Status.APPROVED
    assert approve.changes == {"first_approver_id": 3, "grade": "中绿"}


def test_deep_green_needs_a_second_different_reviewer():
    first = plan(Action.APPROVE, state(Status.IN_REVIEW, 3), REVIEWER_A, grade="深绿")
    assert first.to_status is Status.IN_REVIEW and first.event == "approve.first"
    assert first.changes == {"first_approver_id": 3}  # no grade yet: not in the library
    pending = state(Status.IN_REVIEW, 3, first=3)
    assert pending.awaiting_second_approval
    error = refused("forbidden", Action.APPROVE, pending, REVIEWER_A)
    assert "second" in error.message
    second = plan(Action.APPROVE, pending, REVIEWER_B)
    assert second.to_status is Status.APPROVED and second.event == "approve.second"
    assert second.changes == {"second_approver_id": 4, "grade": "深绿"}
    refused("invalid", Action.APPROVE, pending, REVIEWER_B, grade="中绿")


def test_second_reviewer_may_also_return_or_reject():
    pending = state(Status.IN_REVIEW, 3, first=3)
    step = plan(Action.RETURN, pending, REVIEWER_B, comment="补充节能审查意见")
    assert step.to_status is Status.RETURNED and step.event == "return.second"
    refused("forbidden", Action.REJECT, pending, REVIEWER_A, comment="x")


def test_only_the_assigned_reviewer_decides_and_comments_are_required():
    in_review = state(Status.IN_REVIEW, 3)
    refused("forbidden", Action.APPROVE, in_review, REVIEWER_B, proposed_grade="浅绿")
    refused("invalid", Action.RETURN, in_review, REVIEWER_A, comment="  ")
    refused("invalid", Action.REJECT, in_review, REVIEWER_A)
    refused("invalid", Action.APPROVE, in_review, REVIEWER_A, proposed_grade="非绿")
    refused("forbidden", Action.APPROVE, in_review, REGULATOR, proposed_grade="浅绿")


def test_wrong_state_is_a_conflict_and_wrong_role_is_forbidden():
    error = refused("conflict", Action.APPROVE, state(Status.SCREENING), REVIEWER_A)
    assert error.field == "status"
    refused("conflict", Action.SUBMIT, state(Status.APPROVED), ENTERPRISE)
    refused("conflict", Action.EDIT, state(Status.IN_REVIEW, 3), ENTERPRISE)
    refused("forbidden", Action.SUBMIT, state(Status.DRAFT), OTHER_ENTERPRISE)
    refused("forbidden", Action.CLAIM, state(Status.SCREENING), BANK)
    refused("forbidden", Action.CLAIM, state(Status.SCREENING), SYSTEM)


def test_assignment_and_resubmission_reset():
    step = plan(Action.ASSIGN, state(Status.SCREENING), REGULATOR, reviewer_id=4)
    assert step.to_status is Status.IN_REVIEW and step.changes == {"assigned_reviewer_id": 4}
    refused("invalid", Action.ASSIGN, state(Status.SCREENING), REGULATOR)
    refused("conflict", Action.ASSIGN, state(Status.IN_REVIEW, 3, first=3), REGULATOR,
            reviewer_id=4)  # fmt: skip
    resubmit = plan(Action.SUBMIT, state(Status.RETURNED, 3), ENTERPRISE)
    assert resubmit.changes["assigned_reviewer_id"] is None


def test_allowed_actions_drive_the_buttons():
    assert allowed_actions(state(Status.DRAFT), ENTERPRISE) == [Action.EDIT, Action.SUBMIT]
    assert allowed_actions(state(Status.DRAFT), OTHER_ENTERPRISE) == []
    assert allowed_actions(state(Status.SCREENING), REVIEWER_A) == [Action.CLAIM]
    assert allowed_actions(state(Status.SCREENING), REGULATOR) == [Action.ASSIGN]
    decided = [Action.APPROVE, Action.RETURN, Action.REJECT]
    # the item can be changed only before an approval is recorded with it
    assert allowed_actions(state(Status.IN_REVIEW, 3), REVIEWER_A) == [*decided, Action.RECLASSIFY]
    assert allowed_actions(state(Status.IN_REVIEW, 3), REVIEWER_B) == []
    assert allowed_actions(state(Status.IN_REVIEW, 3, first=3), REVIEWER_A) == []
    assert allowed_actions(state(Status.IN_REVIEW, 3, first=3), REVIEWER_B) == decided
    assert allowed_actions(state(Status.IN_REVIEW, 3, first=3), REGULATOR) == []
    assert allowed_actions(state(Status.APPROVED), BANK) == []


def test_reclassify_is_the_assigned_reviewers_before_any_approval_with_a_reason():
    step = plan(Action.RECLASSIFY, state(Status.IN_REVIEW, 3), REVIEWER_A, comment="应为储能")
    assert (step.from_status, step.to_status, step.event) == (
        Status.IN_REVIEW, Status.IN_REVIEW, "reclassify",
    )  # fmt: skip
    assert step.changes == {}  # the service sets the item and the redone assessment
    assert refused("invalid", Action.RECLASSIFY, state(Status.IN_REVIEW, 3), REVIEWER_A,
                   comment=" ").field == "comment"  # fmt: skip
    refused("forbidden", Action.RECLASSIFY, state(Status.IN_REVIEW, 3), REVIEWER_B, comment="x")
    refused("forbidden", Action.RECLASSIFY, state(Status.IN_REVIEW, 3), ENTERPRISE, comment="x")
    refused("forbidden", Action.RECLASSIFY, state(Status.IN_REVIEW, 3), SYSTEM, comment="x")
    refused("conflict", Action.RECLASSIFY, state(Status.SCREENING), REVIEWER_A, comment="x")
    refused("conflict", Action.RECLASSIFY, state(Status.APPROVED, 3), REVIEWER_A, comment="x")
    # 深绿 first-approved: neither reviewer may change the item the approval was given for
    refused("conflict", Action.RECLASSIFY, state(Status.IN_REVIEW, 3, first=3), REVIEWER_B,
            comment="x")  # fmt: skip
