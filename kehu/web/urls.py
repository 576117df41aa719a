from django.urls import path

from kehu.web import charts
from kehu.web.views import (
    account, anniversaries, contacts, customers, dashboard, interactions, lists, orders, products, settings, tasks,
)

# URL names are a contract: other apps, the API docs and tests link to them.
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("language/", account.set_language, name="set_language"),
    path("settings/", settings.settings_index, name="settings_index"),
    path("me/", account.profile, name="profile"),
    path("me/tokens/new/", account.token_create, name="token_create"),
    path("me/tokens/<int:pk>/revoke/", account.token_revoke, name="token_revoke"),
    # customers
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/count/", customers.customer_count, name="customer_count"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/reassign/", customers.customer_reassign, name="customer_reassign"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/delete/", customers.customer_delete, name="customer_delete"),
    path("customers/<int:pk>/merge/", customers.customer_merge, name="customer_merge"),
    path("customers/<int:pk>/share/", customers.customer_share, name="customer_share"),
    path("customers/<int:pk>/share/<int:share_pk>/delete/", customers.customer_unshare, name="customer_unshare"),
    path("customers/<int:pk>/contacts/new/", contacts.contact_create, name="contact_create"),
    path("customers/<int:pk>/interactions/new/", interactions.interaction_create, name="interaction_create"),
    path("customers/<int:pk>/orders/new/", orders.order_create, name="order_create"),
    path("customers/<int:pk>/anniversaries/new/", anniversaries.anniversary_create, name="anniversary_create"),
    path("anniversaries/<int:pk>/edit/", anniversaries.anniversary_edit, name="anniversary_edit"),
    path("anniversaries/<int:pk>/delete/", anniversaries.anniversary_delete, name="anniversary_delete"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    # engagement and sales
    path("interactions/", interactions.interaction_list, name="interaction_list"),
    path("interactions/<int:pk>/edit/", interactions.interaction_edit, name="interaction_edit"),
    path("interactions/<int:pk>/delete/", interactions.interaction_delete, name="interaction_delete"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit_view, name="task_edit"),
    path("tasks/<int:pk>/complete/", tasks.task_complete_view, name="task_complete"),
    path("tasks/<int:pk>/cancel/", tasks.task_cancel_view, name="task_cancel"),
    path("customers/<int:customer_pk>/tasks/new/", tasks.task_create_view, name="task_create"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:pk>/approve/", orders.order_decide, name="order_approve"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="order_edit"),
    path("orders/<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/delete/", orders.order_delete, name="order_delete"),
    path("orders/<int:pk>/payments/new/", orders.payment_create, name="payment_create"),
    path("products/", products.product_list, name="product_list"),
    path("products/new/", products.product_create, name="product_create"),
    path("products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("products/lines/", products.product_line_list, name="product_line_list"),
    path("products/lines/new/", products.product_line_create, name="product_line_create"),
    path("products/lines/<int:pk>/edit/", products.product_line_edit, name="product_line_edit"),
    # the shared list tools (kehu/web/lists.py)
    path("lists/<str:list_name>/bulk/", lists.bulk, name="list_bulk"),
    path("lists/<str:list_name>/views/new/", lists.saved_view_create, name="saved_view_create"),
    path("views/", lists.saved_views, name="saved_views"),
    path("views/<int:pk>/rename/", lists.saved_view_rename, name="saved_view_rename"),
    path("views/<int:pk>/delete/", lists.saved_view_delete, name="saved_view_delete"),
    path("search/", lists.search, name="global_search"),
    # vega, vega-lite and vega-embed for the charts, served from here (kehu/web/charts.py)
    path("charts/vega-<str:version>.js", charts.bundle_view, name="vega_bundle"),
]
