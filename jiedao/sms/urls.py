from django.urls import path

from jiedao.sms import views

app_name = "sms"
urlpatterns = [path("outbox/", views.OutboxView.as_view(), name="outboundmessage_list")]
