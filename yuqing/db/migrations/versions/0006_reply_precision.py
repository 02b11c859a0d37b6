"""whether a board message's reply is dated by its day alone, so that it is shown as that day, not as 23:59

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("board_messages") as batch:
        batch.add_column(sa.Column("replied_precision", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("board_messages") as batch:
        batch.drop_column("replied_precision")
