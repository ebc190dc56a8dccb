"""Review workflow of the green project library (绿色项目库): states, actions and who may act.

The transition table :data:`TRANSITIONS` is the single statement of the workflow; services ask
:func:`plan` what a request would do and then write it with an optimistic lock. Pure: no I/O.

States::

    draft ─submit→ submitted ─screen→ screening ─claim/assign→ in_review ─approve→ approved
      ↑                                                          │  ├─return→ returned ─submit→ …
      └──────────── (enterprise edits draft / returned) ─────────┘  └─reject→ rejected

- ``submitted``: received, waiting for the automatic screening (run at once on submission; a
  project stays here only when screening was deferred, e.g. a bulk import without ``--submit``
  screening or an engine failure, and a reviewer or admin runs it).
- ``screening``: screened, with reduction estimate and proposed grade, in the queue until a
  reviewer claims it or a regulator/admin assigns one.
- ``in_review``: a reviewer is assigned. Four eyes for 深绿: the assigned reviewer's approval with
  grade 深绿 is recorded (``first_approver_id``) and the project *stays* ``in_review`` until a
  second, different reviewer approves (or returns / rejects it).
- ``reclassify`` (no status change): while a project is ``in_review`` and before any approval, the
  assigned reviewer may replace the screening's catalogue item with another, giving the reason;
  the reduction estimate and proposed grade are redone for the new item.
- ``approved`` (enters the library with its grade), ``returned`` (for revision: the enterprise
  edits and resubmits), ``rejected`` (final).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from greenfin.identity.roles import Role


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETURNED = "returned"
    REJECTED = "rejected"


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    SCREEN = "screen"
    CLAIM = "claim"
    ASSIGN = "assign"
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    RECLASSIFY = "reclassify"


class Grade(StrEnum):
    """Grades of the library, best first (values are what the store and other modules read)."""

    DEEP = "深绿"
    MEDIUM = "中绿"
    LIGHT = "浅绿"
    NOT_GREEN = "非绿"


GRADE_ORDER: tuple[Grade, ...] = (Grade.DEEP, Grade.MEDIUM, Grade.LIGHT, Grade.NOT_GREEN)
APPROVABLE_GRADES = frozenset({Grade.DEEP, Grade.MEDIUM, Grade.LIGHT})
FOUR_EYES_GRADES = frozenset({Grade.DEEP})
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
# statuses a reviewer may see (a draft belongs to the enterprise alone)
REVIEWER_VISIBLE = frozenset(Status) - {Status.DRAFT}

STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.DRAFT: ("草稿", "Draft"),
    Status.SUBMITTED: ("已提交", "Submitted"),
    Status.SCREENING: ("已识别，待评审", "Screened, awaiting review"),
    Status.IN_REVIEW: ("评审中", "In review"),
    Status.APPROVED: ("已入库", "Approved (in library)"),
    Status.RETURNED: ("退回修改", "Returned for revision"),
    Status.REJECTED: ("未通过", "Rejected"),
}


class Who(StrEnum):
    """Which actor of the allowed roles may take a transition on a given project."""

    OWNER = "owner"  # the enterprise that owns the project (or the operator at the CLI)
    ANY = "any"  # anyone of the roles
    ASSIGNED = "assigned"  # the assigned reviewer; once 深绿 is first-approved: a second reviewer


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | None  # None: no status change (edit)
    roles: frozenset[Role]
    who: Who
    system: bool  # the platform itself / the operator at the command line may take it
    note: str


def _t(action: Action, sources: set[Status], target: Status | None, roles: set[Role], who: Who,
       system: bool, note: str) -> Transition:  # fmt: skip
    return Transition(action, frozenset(sources), target, frozenset(roles), who, system, note)


TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.EDIT, {Status.DRAFT, Status.RETURNED}, None, {Role.ENTERPRISE}, Who.OWNER, True,
       "the enterprise edits its draft or a returned project"),
    _t(Action.SUBMIT, {Status.DRAFT, Status.RETURNED}, Status.SUBMITTED, {Role.ENTERPRISE},
       Who.OWNER, True, "the enterprise submits; screening runs at once"),
    _t(Action.SCREEN, {Status.SUBMITTED}, Status.SCREENING, {Role.REVIEWER, Role.ADMIN}, Who.ANY,
       True, "automatic screening, reduction estimate and proposed grade"),
    _t(Action.CLAIM, {Status.SCREENING}, Status.IN_REVIEW, {Role.REVIEWER}, Who.ANY, False,
       "a reviewer takes the project"),
    _t(Action.ASSIGN, {Status.SCREENING, Status.IN_REVIEW}, Status.IN_REVIEW,
       {Role.REGULATOR, Role.ADMIN}, Who.ANY, False,
       "a regulator or admin assigns (or reassigns, before any approval) a reviewer"),
    _t(Action.APPROVE, {Status.IN_REVIEW}, Status.APPROVED, {Role.REVIEWER}, Who.ASSIGNED, False,
       "approve with a grade; 深绿 needs a second, different reviewer"),
    _t(Action.RETURN, {Status.IN_REVIEW}, Status.RETURNED, {Role.REVIEWER}, Who.ASSIGNED, False,
       "return for revision with comments and requested evidence"),
    _t(Action.REJECT, {Status.IN_REVIEW}, Status.REJECTED, {Role.REVIEWER}, Who.ASSIGNED, False,
       "reject with a reason"),
    _t(Action.RECLASSIFY, {Status.IN_REVIEW}, None, {Role.REVIEWER}, Who.ASSIGNED, False,
       "the assigned reviewer sets another catalogue item, with the reason, before approving"),
)  # fmt: skip
BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}


class WorkflowError(ValueError):
    """A request the workflow refuses. ``kind``: ``conflict`` (the project's state does not allow
    it: 409), ``forbidden`` (this actor may not: 403) or ``invalid`` (bad input: 422)."""

    def __init__(self, kind: str, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.kind = kind
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class ProjectState:
    status: Status
    organisation_id: int
    assigned_reviewer_id: int | None = None
    first_approver_id: int | None = None

    @property
    def awaiting_second_approval(self) -> bool:
        return self.status is Status.IN_REVIEW and self.first_approver_id is not None


@dataclass(frozen=True)
class ActorRef:
    """Who acts: ``role`` None is the platform itself or the operator at the command line."""

    user_id: int | None
    role: Role | None
    organisation_id: int | None

    @property
    def is_system(self) -> bool:
        return self.role is None


@dataclass(frozen=True)
class Step:
    """What a permitted request does: the event to record and the columns to set."""

    action: Action
    event: str  # e.g. "approve", "approve.first", "approve.second"
    from_status: Status
    to_status: Status
    changes: dict[str, object] = field(default_factory=dict)


def _conflict(message: str) -> WorkflowError:
    return WorkflowError("conflict", "status", message)


def _forbidden(message: str) -> WorkflowError:
    return WorkflowError("forbidden", "actor", message)


def _check_actor(transition: Transition, state: ProjectState, actor: ActorRef) -> None:
    if actor.is_system:
        if not transition.system:
            raise _forbidden(f"{transition.action.value} needs a logged-in user")
        return
    if actor.role not in transition.roles:
        allowed = ", ".join(sorted(r.value for r in transition.roles))
        raise _forbidden(f"{transition.action.value} is for {allowed}")
    if transition.who is Who.OWNER and actor.organisation_id != state.organisation_id:
        raise _forbidden("only the enterprise that owns the project may do this")
    if transition.who is Who.ASSIGNED:
        if state.awaiting_second_approval:
            if actor.user_id == state.first_approver_id:
                raise _forbidden(
                    "深绿 needs four eyes: a second, different reviewer must decide / "
                    "深绿需第二位评审员复核"
                )
        elif actor.user_id != state.assigned_reviewer_id:
            raise _forbidden("only the assigned reviewer may decide / 仅限分配的评审员")


def allowed_actions(state: ProjectState, actor: ActorRef) -> list[Action]:
    """The actions ``actor`` may take on a project now (for buttons and the API)."""
    out = []
    for transition in TRANSITIONS:
        if state.status not in transition.sources:
            continue
        if (
            transition.action in (Action.ASSIGN, Action.RECLASSIFY)
            and state.first_approver_id is not None
        ):
            continue
        try:
            _check_actor(transition, state, actor)
        except WorkflowError:
            continue
        out.append(transition.action)
    return out


def plan(
    action: Action,
    state: ProjectState,
    actor: ActorRef,
    *,
    grade: str | None = None,
    proposed_grade: str | None = None,
    reviewer_id: int | None = None,
    comment: str | None = None,
) -> Step:
    """Check a request against the table and say what it does; raises :class:`WorkflowError`.

    ``grade`` (approve): the grade the reviewer confirms, default ``proposed_grade``; must be
    深绿, 中绿 or 浅绿 (a project that is 非绿 is rejected, not approved). ``reviewer_id``
    (assign): the reviewer to assign. ``comment``: required to return, reject or reclassify."""
    transition = BY_ACTION[action]
    if state.status not in transition.sources:
        allowed = ", ".join(s.value for s in sorted(transition.sources))
        raise _conflict(
            f"cannot {action.value} a project that is {state.status.value} (needs: {allowed})"
        )
    if action is Action.RECLASSIFY and state.first_approver_id is not None:
        # before the actor check: the first approver would otherwise hear "four eyes"
        raise _conflict(
            "a first approval is recorded with this item; to change it, return the project"
        )
    _check_actor(transition, state, actor)
    target = transition.target or state.status
    changes: dict[str, object] = {}
    event = action.value
    if action is Action.CLAIM:
        changes["assigned_reviewer_id"] = actor.user_id
    elif action is Action.ASSIGN:
        if reviewer_id is None:
            raise WorkflowError("invalid", "reviewer_id", "name the reviewer to assign")
        if state.first_approver_id is not None:
            raise _conflict("a first approval is recorded; the reviewer can no longer change")
        changes["assigned_reviewer_id"] = reviewer_id
    elif action is Action.SUBMIT:
        # a resubmission starts a fresh review
        changes.update(assigned_reviewer_id=None, first_approver_id=None, second_approver_id=None)
    elif action is Action.RECLASSIFY:
        if not (comment or "").strip():
            raise WorkflowError("invalid", "comment", "give the reason / 请填写改判理由")
    elif action in (Action.RETURN, Action.REJECT):
        if not (comment or "").strip():
            raise WorkflowError("invalid", "comment", "give the reason / 请填写意见")
        if state.awaiting_second_approval:
            changes["second_approver_id"] = actor.user_id
            event = f"{action.value}.second"
    elif action is Action.APPROVE:
        if state.awaiting_second_approval:
            if grade not in (None, "", Grade.DEEP.value):
                raise WorkflowError(
                    "invalid", "grade",
                    "the first reviewer approved 深绿; to change the grade, return the project",
                )  # fmt: skip
            changes.update(second_approver_id=actor.user_id, grade=Grade.DEEP.value)
            event = "approve.second"
        else:
            chosen = grade or proposed_grade
            if chosen not in {g.value for g in APPROVABLE_GRADES}:
                raise WorkflowError(
                    "invalid", "grade",
                    f"approve with 深绿, 中绿 or 浅绿 (got {chosen!r}); reject a 非绿 project",
                )  # fmt: skip
            changes["first_approver_id"] = actor.user_id
            if Grade(chosen) in FOUR_EYES_GRADES:
                target = Status.IN_REVIEW
                event = "approve.first"
            else:
                changes["grade"] = chosen
    return Step(action, event, state.status, target, changes)
