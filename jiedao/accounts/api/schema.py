"""OpenAPI descriptions of the project's authentication classes."""

from drf_spectacular.authentication import SessionScheme, TokenScheme


class PolicyTokenScheme(TokenScheme):
    target_class = "jiedao.accounts.api.authentication.PolicyTokenAuthentication"


class PolicySessionScheme(SessionScheme):
    target_class = "jiedao.accounts.api.authentication.PolicySessionAuthentication"
