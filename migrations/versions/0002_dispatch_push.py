"""dispatch and push: push subscriptions, and the indexes of the office's queries

Revision ID: 0002_dispatch_push
Revises: 0001_initial
Create Date: 2026-11-23 09:00:00

The indexes are declared in backend/dispatch/indexes.py; bench/office_queries.py
measures the queries they serve on 1,000,000 tickets.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_dispatch_push'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('p256dh', sa.String(length=128), nullable=False),
    sa.Column('auth', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_push_subscriptions_device_id_devices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_push_subscriptions_device_id'), 'push_subscriptions', ['device_id'], unique=False)
    op.create_index(op.f('ix_push_subscriptions_user_id'), 'push_subscriptions', ['user_id'], unique=False)

    op.create_index('ix_tickets_status_created_at', 'tickets', ['status', 'created_at'], unique=False)
    op.create_index('ix_tickets_status_scheduled_start', 'tickets', ['status', 'scheduled_start'], unique=False)
    op.create_index('ix_tickets_scheduled_start', 'tickets', ['scheduled_start'], unique=False)
    op.create_index('ix_tickets_technician_created_at', 'tickets', ['technician_id', 'created_at'], unique=False)
    op.create_index('ix_customers_phone_prefix', 'customers', ['phone'], unique=False,
                    postgresql_ops={'phone': 'text_pattern_ops'})
    op.create_index('ix_customers_name_prefix', 'customers', ['name'], unique=False,
                    postgresql_ops={'name': 'text_pattern_ops'})
    op.create_index('ix_mutation_log_status', 'mutation_log', ['status'], unique=False)
    op.create_index('ix_flags_mutation_id', 'flags', ['mutation_id'], unique=False)


def downgrade():
    op.drop_index('ix_flags_mutation_id', table_name='flags')
    op.drop_index('ix_mutation_log_status', table_name='mutation_log')
    op.drop_index('ix_customers_name_prefix', table_name='customers')
    op.drop_index('ix_customers_phone_prefix', table_name='customers')
    op.drop_index('ix_tickets_technician_created_at', table_name='tickets')
    op.drop_index('ix_tickets_scheduled_start', table_name='tickets')
    op.drop_index('ix_tickets_status_scheduled_start', table_name='tickets')
    op.drop_index('ix_tickets_status_created_at', table_name='tickets')
    op.drop_index(op.f('ix_push_subscriptions_user_id'), table_name='push_subscriptions')
    op.drop_index(op.f('ix_push_subscriptions_device_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
