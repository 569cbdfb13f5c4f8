"""Who is calling: identities, login (local accounts, an OpenID provider), sessions and the access policy.

`api.access.oidc` is the OpenID Connect relying party: it turns a provider's login into an `Identity`."""
