"""Who works on an open task: claiming it, releasing it, assigning it to a colleague.

Only a user who may do the task (lane role and organisation) may claim, release or assign
it, and it can be assigned only to an active user of the same organisation whose roles
include the task's lane. Each command locks the case like a completion does, so a claim
and a completion of the same task cannot cross, and each is in the audit trail.
A claimed task can only be completed by the user who holds it (engine/cases.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from . import access, audit, directory
from .access import Actor
from .cases import lock_case, require_running
from .errors import Conflict, InvalidData, NotFound
from .models import User, WorkItem

if TYPE_CHECKING:
    from .runtime import Runtime


class Assignments:
    def __init__(self, runtime: Runtime):
        self.rt = runtime

    def claim(self, actor: Actor, item_id: str) -> dict:
        def change(session, item):
            if item.claimed_by == actor.id:
                raise Conflict("U heeft deze taak al geclaimd.")
            if item.claimed_by is not None:
                holder = directory.usernames(session, [item.claimed_by]).get(item.claimed_by)
                raise Conflict(f"Deze taak is al geclaimd door {holder}.")
            item.claimed_by = actor.id
            return "task_claimed", "Taak geclaimd", {}

        return self._change(actor, item_id, change)

    def unclaim(self, actor: Actor, item_id: str) -> dict:
        def change(session, item):
            if item.claimed_by is None:
                raise Conflict("Deze taak is niet geclaimd.")
            previous = directory.usernames(session, [item.claimed_by]).get(item.claimed_by)
            item.claimed_by = None
            return "task_unclaimed", "Taak vrijgegeven", {"previously_claimed_by": previous}

        return self._change(actor, item_id, change)

    def assign(self, actor: Actor, item_id: str, username: str) -> dict:
        def change(session, item):
            user = session.scalar(select(User).where(User.username == username))
            if user is None or not user.active:
                raise InvalidData({"username": ["Deze gebruiker bestaat niet of is geblokkeerd."]})
            if user.organisation_id != item.organisation_id:
                raise InvalidData({"username": ["Deze gebruiker hoort niet bij de organisatie van de taak."]})
            if item.lane not in (user.roles or []):
                raise InvalidData({"username": [f"Deze gebruiker heeft niet de rol "
                                                f"{access.ROLE_LABELS.get(item.lane or '', item.lane)}."]})
            if item.claimed_by == user.id:
                raise Conflict(f"Deze taak is al toegewezen aan {user.username}.")
            previous = directory.usernames(session, [item.claimed_by]).get(item.claimed_by)
            item.claimed_by = user.id
            return "task_assigned", "Taak toegewezen", {"assigned_to": user.username, "previously_claimed_by": previous}

        return self._change(actor, item_id, change)

    def _change(self, actor: Actor, item_id: str, change) -> dict:
        cases = self.rt.cases
        with self.rt.transaction() as session:
            item = session.get(WorkItem, item_id)
            if item is None:
                raise NotFound("Deze taak bestaat niet.")
            case = lock_case(session, item.case_id)
            session.refresh(item)  # as it is now that the case is ours
            cases.check_task_access(session, actor, case, item)
            if item.status != "open":
                raise Conflict("Deze taak is al afgerond.")
            require_running(case)
            kind, title, details = change(session, item)
            audit.record(session, self.rt.clock.now(), actor, kind, case.id, item.element_id, title,
                         task=item.id, task_title=item.title, **details)
            session.flush()
            [view] = cases.task_views(session, [item], case)
            session.commit()
            return view
