"""A delete that other records still block is the request's conflict, said in words — never
a server error (schemathesis found DELETE /api/v1/products/{id} of a product on a quote
answering 500): the product service checks its quote lines, and the error middleware
turns any ProtectedError a service did not foresee into a 409 (API envelope or page)."""

import pytest
from django.db.models import ProtectedError
from django.test import RequestFactory

from kehu.sales.quotes import quote_create
from kehu.web.middleware import FriendlyErrorMiddleware
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_product_on_a_quote_is_not_deleted(org, customers, api_as):
    product = ProductFactory()
    quote_create(actor=org.users.admin, customer=customers.n1, data={}, lines=[{"product": product}])
    r = api_as(org.users.admin).delete(f"/products/{product.pk}")
    assert r.status_code == 422, r.content
    assert "quote" in r.json()["error"]["fields"]["__all__"][0]
    assert type(product).objects.filter(pk=product.pk).exists()


@pytest.mark.parametrize("path", ["/api/v1/products/1", "/products/1/delete/"])
def test_an_unforeseen_protected_delete_is_409_in_words(org, path):
    product = ProductFactory()
    request = RequestFactory().post(path)
    request.user = org.users.admin
    response = FriendlyErrorMiddleware(lambda r: None).process_exception(
        request, ProtectedError("protected", {product}))
    assert response.status_code == 409
    body = response.content.decode()
    assert "products" in body and "Traceback" not in body
