from django.db import migrations, models

# The index Django made for the store foreign key (same name on every database).
INDEX = "orders_order_store_id_138e1a80"


class Migration(migrations.Migration):
    """Order.store loses its single-column index: the (store, created) index and the (store, number) key
    serve every store lookup, and PostgreSQL used the plain one to intersect a quarter of the orders with
    a status's few. Dropped by name: an altered field would make SQLite copy the whole orders table
    (and lose the triggers kept on it)."""

    dependencies = [
        ("orders", "0008_phone_fts_sqlite"),
        ("stores", "0003_store_settings_requisites"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="orders",
                        to="stores.store",
                        verbose_name="store",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f'CREATE INDEX {INDEX} ON "orders_order" ("store_id")',
                ),
            ],
        ),
    ]
