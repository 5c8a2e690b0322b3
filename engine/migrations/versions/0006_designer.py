"""case migrations: running cases moved to another process version, with undo

Revision ID: 0006_designer
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_designer"
down_revision = "0002_deadlines"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_migrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("from_bundle_id", sa.Integer(), nullable=False),
        sa.Column("to_bundle_id", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("migrated_by", sa.Integer(), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_bundle_id"], ["bundles.id"]),
        sa.ForeignKeyConstraint(["to_bundle_id"], ["bundles.id"]),
        sa.ForeignKeyConstraint(["migrated_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["undone_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_migrations_case", "case_migrations", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_case_migrations_case", table_name="case_migrations")
    op.drop_table("case_migrations")
