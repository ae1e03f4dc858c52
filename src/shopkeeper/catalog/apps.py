from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "shopkeeper.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from shopkeeper.core.demo import register_demo
        from shopkeeper.core.nav import Section, register_section

        from . import demo

        register_section(
            Section(
                key="catalog",
                label=_("Catalog"),
                url_name="catalog:products",
                icon="box-seam",
                order=300,
                permission="catalog.view_product",
            )
        )
        register_section(
            Section(
                key="catalog_feeds",
                label=_("Catalog feeds"),
                url_name="catalog:feeds",
                icon="rss",
                order=810,
                permission="catalog.view_feedsource",
                group="settings",
            )
        )
        register_section(
            Section(
                key="price_types",
                label=_("Price types"),
                url_name="catalog:price_types",
                icon="tags",
                order=805,
                permission="catalog.change_pricetype",
                group="settings",
            )
        )
        register_demo(30, "catalog", demo.load)
