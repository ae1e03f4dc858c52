"""Open duplicate candidates that name a merged customer ask about the customer it was merged into.

Before this, a merge settled only the merged customer's own candidates: "C looks like B" stayed open
after B was merged into A, and the queue offered a merge the rules refuse. Such a pair now reads
"C looks like A" (the newer record first), or is settled when the queue already holds that pair.
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone


def follow_merges(apps, schema_editor):
    Candidate = apps.get_model("customers", "DuplicateCandidate")
    Customer = apps.get_model("customers", "Customer")
    now = timezone.now()
    stale = Candidate.objects.filter(
        Q(customer__merged_into__isnull=False) | Q(other__merged_into__isnull=False), status="open"
    )
    for row in stale.iterator():
        ids = []
        for pk in (row.customer_id, row.other_id):
            seen = set()
            while pk not in seen:  # follow a chain of merges to the live customer
                seen.add(pk)
                into = Customer.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
                if into is None:
                    break
                pk = into
            ids.append(pk)
        newer, older = max(ids), min(ids)
        if newer == older or Candidate.objects.filter(customer_id=newer, other_id=older).exists():
            row.status, row.resolved_at = "merged", now
            row.save(update_fields=["status", "resolved_at"])
        else:
            row.customer_id, row.other_id = newer, older
            row.save(update_fields=["customer", "other"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_last_order_index")]

    operations = [migrations.RunPython(follow_merges, migrations.RunPython.noop)]
