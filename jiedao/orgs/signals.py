"""`org_moved` is sent inside the transaction of `services.org_move`, after the node and its subtree took their
new parent and paths, with `node` (the moved `OrgUnit`). Sender: the `OrgUnit` class.

Records derived from where a node sits in the tree listen to it and bring themselves up to date in the same
transaction (the registry's stored 人户分离: a grid moved to another community changes its persons'
community): the org tree does not know who depends on it."""

from django.dispatch import Signal

org_moved = Signal()
