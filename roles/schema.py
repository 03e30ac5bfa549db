"""How the OpenAPI schema describes service tokens (``Authorization: Bearer <secret>``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "roles.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
