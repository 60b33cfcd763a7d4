"""Pure domain rules: signing, URL policy, retries, routing, invitations."""
