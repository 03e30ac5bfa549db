from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from programme.digests.preferences import register_outbound

        from .delivery import post
        from .safety import url_problem

        # The programme sits below webhooks and cannot import it: its Slack digests go out
        # through the same checked, address-pinned POST as webhook deliveries.
        register_outbound(post=post, url_problem=url_problem)
