from django.urls import path

from kehu.kb import views

urlpatterns = [
    path("kb/", views.kb_list, name="kb_list"),
    path("kb/new/", views.kb_create, name="kb_create"),
    path("kb/<int:pk>/", views.kb_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", views.kb_edit, name="kb_edit"),
    path("kb/<int:pk>/publish/", views.kb_publish, name="kb_publish"),
    path("kb/<int:pk>/archive/", views.kb_archive, name="kb_archive"),
    # the categories: administrators
    path("settings/kb-categories/", views.kb_category_list, name="kb_category_list"),
    path("settings/kb-categories/new/", views.kb_category_create, name="kb_category_create"),
    path("settings/kb-categories/<int:pk>/edit/", views.kb_category_edit, name="kb_category_edit"),
    path("settings/kb-categories/<int:pk>/delete/", views.kb_category_delete, name="kb_category_delete"),
    # the public FAQ: no login
    path("faq/", views.faq, name="faq"),
    path("faq/<int:pk>/", views.faq_article, name="faq_article"),
    path("faq/<int:pk>/vote/", views.faq_vote, name="faq_vote"),
]
