"""Demo data: one region with its RET, BEN, Expertteam and crisisdienst, two GIs, two gemeenten,
two aanbieders, and one user per role (password `demo`). Loaded only into an empty database; marks it as demo mode."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .directory import hash_password
from .models import Organisation, SystemSetting, User

# The RET meets every 14 days on Thursdays; the Expertkaart is due 10 days before a meeting.
REGION = ("regio-wbw", "Regio West-Brabant West (RET en BEN)",
          {"ret_eerste_vergadering": "2026-01-08", "ret_interval_dagen": 14, "ret_expertkaart_termijn": "10 dagen"})
ORGANISATIONS = [
    ("gi-jbb", "Jeugdbescherming Brabant", "gi", {}),
    ("gi-wsg", "William Schrikker Jeugdbescherming", "gi", {}),
    # Roosendaal consults on every referral (step 4); Bergen op Zoom mandates the GI.
    ("gemeente-roosendaal", "Gemeente Roosendaal", "gemeente", {"gemeentecode": "1674", "mandaat_gi": False}),
    ("gemeente-bergen-op-zoom", "Gemeente Bergen op Zoom", "gemeente", {"gemeentecode": "0748", "mandaat_gi": True}),
    ("aanbieder-horizon", "Jeugdhulp De Horizon", "aanbieder", {"agb_code": "41000001"}),
    ("aanbieder-zuidwest", "Gezinsbegeleiding Zuidwest", "aanbieder", {"agb_code": "41000002"}),
]
USERS = [
    ("jeugdbeschermer", "Jeugdbeschermer (demo)", "gi-jbb", ["jeugdbeschermer"]),
    ("jeugdbeschermer2", "Jeugdbeschermer tweede GI (demo)", "gi-wsg", ["jeugdbeschermer"]),
    ("plaatsingscoordinator", "Plaatsingscoördinator (demo)", "gi-jbb", ["plaatsingscoordinator"]),
    ("gedragswetenschapper", "Gedragswetenschapper GI (demo)", "gi-jbb", ["gedragswetenschapper"]),
    ("lokaalteam", "Lokaal team Roosendaal (demo)", "gemeente-roosendaal", ["lokaalteam"]),
    ("gemeente", "Toegang Roosendaal (demo)", "gemeente-roosendaal", ["gemeente"]),
    ("jeugdprofessional", "Jeugdprofessional Roosendaal (demo)", "gemeente-roosendaal", ["jeugdprofessional"]),
    ("gemeente2", "Toegang en lokaal team Bergen op Zoom (demo)", "gemeente-bergen-op-zoom", ["gemeente", "lokaalteam"]),
    ("aanbieder", "Aanbieder De Horizon (demo)", "aanbieder-horizon", ["aanbieder"]),
    ("aanbieder2", "Aanbieder Zuidwest (demo)", "aanbieder-zuidwest", ["aanbieder"]),
    ("expertteam", "Gedragswetenschapper Expertteam WBW (demo)", "regio-wbw", ["gedragswetenschapper"]),
    ("crisisdienst", "Crisisdienst CIT / SEZ (demo)", "regio-wbw", ["crisisdienst"]),
    ("ret", "RET-voorzitter (demo)", "regio-wbw", ["ret"]),
    ("ben", "BEN-coördinator (demo)", "regio-wbw", ["ben"]),
    ("regiocoordinator", "Regiocoördinator (demo)", "regio-wbw", ["regiocoordinator"]),
    ("procesontwerper", "Procesontwerper (demo)", "regio-wbw", ["procesontwerper"]),
]
PASSWORD = "demo"


def is_empty(session: Session) -> bool:
    return session.scalar(select(Organisation.id).limit(1)) is None


def load(session: Session) -> bool:
    """Load the demo data if the database holds no organisations yet. Returns whether it did."""
    if not is_empty(session):
        return False
    key, name, settings = REGION
    region = Organisation(key=key, name=name, kind="regio", settings=settings)
    session.add(region)
    session.flush()
    orgs = {key: region}
    for key, name, kind, settings in ORGANISATIONS:
        orgs[key] = Organisation(key=key, name=name, kind=kind, region_id=region.id, settings=settings)
        session.add(orgs[key])
    session.flush()
    for username, display_name, org_key, roles in USERS:
        session.add(User(username=username, display_name=display_name, password_hash=hash_password(PASSWORD),
                         organisation_id=orgs[org_key].id, roles=roles, active=True))
    session.merge(SystemSetting(key="demo_mode", value={"enabled": True}))
    return True


def is_demo(session: Session) -> bool:
    setting = session.get(SystemSetting, "demo_mode")
    return bool(setting and setting.value.get("enabled"))
