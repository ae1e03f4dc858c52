"""Base for API answers."""

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """An answer validated in pydantic's core from a dict or a model instance's plain attributes. A
    ninja `Schema` resolves every field of every nested object in Python (its DjangoGetter), which was
    most of the time of a 50-customer page. Answers that need computed fields are built as dicts
    first (`customer_out`, `order_out`)."""

    model_config = ConfigDict(from_attributes=True)
