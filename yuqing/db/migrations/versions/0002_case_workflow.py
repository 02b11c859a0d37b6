"""case workflow state for routing, re-alerts, reminders and escalation; schedule marks

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'")
_EMPTY_MAP = sa.text("'{}'")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("districts", sa.JSON(), nullable=False, server_default=_EMPTY_LIST))
        batch_op.add_column(sa.Column("keywords", sa.JSON(), nullable=False, server_default=_EMPTY_LIST))
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("alert_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("alerted_volume", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("alerted_grade", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_fractions", sa.JSON(), nullable=False, server_default=_EMPTY_LIST))
        batch_op.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_deadlines_open", ["met_at", "due_at"], unique=False)
    op.create_table(
        "schedule_marks",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False, server_default=_EMPTY_MAP),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("schedule_marks")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_open")
        for column in ("escalated_at", "escalation_level", "reminded_fractions", "starts_at"):
            batch_op.drop_column(column)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in ("reopen_count", "escalated_at", "notified_at", "alerted_grade", "alerted_volume",
                       "alert_seq", "summary", "keywords", "districts", "source_type"):
            batch_op.drop_column(column)
