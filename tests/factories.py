"""factory_boy factories. Customers and orders are made through the services,
so search keys, owning team and totals are kept the way the product keeps them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kehu.customers.models import Contact, Customer
from kehu.engagement.models import Interaction
from kehu.org.models import Role, Team, User
from kehu.sales.models import Order, Product, ProductLine


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from kehu.org.services import team_create

        return team_create(name=kwargs["name"], parent=kwargs.get("parent"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = Role.SALESPERSON
    team = None
    password = factory.PostGenerationMethodCall("set_password", "kehu-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    kind = "organization"
    owner = None
    city = "上海"
    region = "east"
    lifecycle_stage = "customer"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from kehu.customers.services import customer_create

        tags = kwargs.pop("tags", None)
        actor = kwargs.get("owner")
        return customer_create(actor=actor, data=kwargs, tags=tags, check_permissions=False)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    title = "Purchasing manager"
    decision_role = "decision_maker"


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    channel = "phone"
    occurred_at = factory.LazyFunction(timezone.now)
    summary = factory.Sequence(lambda n: f"Call {n}: discussed the next order")


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PL{n}")
    name = factory.Sequence(lambda n: f"Line {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    ref = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    line = factory.SubFactory(ProductLineFactory)
    unit_price = Decimal("100.00")
    unit_cost = Decimal("70.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    ref = factory.Sequence(lambda n: f"SO-T{n:06d}")
    order_date = factory.LazyFunction(lambda: dt.date.today())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from kehu.sales.services import order_create

        customer = kwargs.pop("customer")
        lines = kwargs.pop("lines", None) or [{"quantity": 2, "unit_price": "100.00", "unit_cost": "60.00"}]
        return order_create(actor=None, customer=customer, data=kwargs, lines=lines, check_permissions=False)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class AttachmentFactory(factory.django.DjangoModelFactory):
    """A file on a customer (or on its ``interaction`` / ``order``), stored in
    MEDIA_ROOT — point MEDIA_ROOT at a temporary directory in the test."""

    class Meta:
        model = "attachments.Attachment"

    customer = factory.SubFactory(CustomerFactory)
    interaction = None
    order = None
    name = "contract.pdf"
    content = PDF_BYTES
    uploaded_by = factory.LazyAttribute(lambda o: o.customer.owner)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from django.core.files.base import ContentFile

        content = kwargs.pop("content")
        attachment = model_class(size=len(content), content_type="application/pdf", **kwargs)
        attachment.file.save(kwargs["name"], ContentFile(content), save=False)
        attachment.save()
        return attachment


class PartnerFactory(factory.django.DjangoModelFactory):
    """A partner of the channel, made by the service (path and level kept)."""

    class Meta:
        model = "org.Partner"

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = "agent_l1"
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from kehu.org.partners import partner_create

        parent = kwargs.pop("parent", None)
        return partner_create(data=kwargs, parent=parent)
