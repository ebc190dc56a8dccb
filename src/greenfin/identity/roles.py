"""Roles, organisation kinds and which role may belong to which kind of organisation."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ENTERPRISE = "enterprise"  # 企业用户: applies for green identification and finance
    BANK = "bank"  # 金融机构用户: banks, insurers, guarantors
    REVIEWER = "reviewer"  # 评审员: reviews green project applications
    REGULATOR = "regulator"  # 监管用户: local financial regulator / PBOC local office
    ADMIN = "admin"  # 平台管理员


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    BANK = "bank"
    INSURER = "insurer"
    GUARANTOR = "guarantor"
    REGULATOR = "regulator"
    CERTIFIER = "certifier"  # third-party green certification / assessment body


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.ENTERPRISE: ("企业", "Enterprise"),
    Role.BANK: ("金融机构", "Financial institution"),
    Role.REVIEWER: ("评审员", "Reviewer"),
    Role.REGULATOR: ("监管部门", "Regulator"),
    Role.ADMIN: ("平台管理员", "Administrator"),
}

ORG_KIND_LABELS: dict[OrgKind, tuple[str, str]] = {
    OrgKind.ENTERPRISE: ("企业", "Enterprise"),
    OrgKind.BANK: ("银行", "Bank"),
    OrgKind.INSURER: ("保险机构", "Insurer"),
    OrgKind.GUARANTOR: ("融资担保机构", "Guarantor"),
    OrgKind.REGULATOR: ("监管部门", "Regulator"),
    OrgKind.CERTIFIER: ("第三方认证机构", "Certifier"),
}

# A membership is only valid where the role fits the organisation's kind: an enterprise user cannot
# act for a bank, a bank user cannot review applications.
ALLOWED_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.ENTERPRISE: frozenset({OrgKind.ENTERPRISE}),
    Role.BANK: frozenset({OrgKind.BANK, OrgKind.INSURER, OrgKind.GUARANTOR}),
    Role.REVIEWER: frozenset({OrgKind.REGULATOR, OrgKind.CERTIFIER}),
    Role.REGULATOR: frozenset({OrgKind.REGULATOR}),
    Role.ADMIN: frozenset({OrgKind.REGULATOR}),
}

# Roles that may see every organisation; the others see their own organisation only.
SEES_ALL_ORGANISATIONS = frozenset({Role.REGULATOR, Role.ADMIN, Role.REVIEWER})


def role_fits_org(role: Role, kind: OrgKind) -> bool:
    return kind in ALLOWED_ORG_KINDS[role]
