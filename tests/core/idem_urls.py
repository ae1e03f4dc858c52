"""A tiny API used only by the idempotency tests: creates a store per request."""

from django.urls import path
from ninja import NinjaAPI, Schema

from shopkeeper.api import install_problem_handlers
from shopkeeper.core.auth import ApiKeyAuth
from shopkeeper.core.changes import Actor
from shopkeeper.core.idempotency import idempotent
from shopkeeper.stores.services import store_create

api = install_problem_handlers(NinjaAPI(urls_namespace="idem-test"))


class In(Schema):
    code: str


class Out(Schema):
    id: int
    code: str


@api.post("/things", auth=ApiKeyAuth())
def create_thing(request, payload: In):
    return idempotent(
        request,
        lambda: (
            201,
            store_create(
                code=payload.code,
                name=payload.code,
                currency="USD",
                timezone="UTC",
                actor=Actor.for_api_key(request.api_key),
            ),
        ),
        schema=Out,
    )


urlpatterns = [path("api/v1/", api.urls)]
