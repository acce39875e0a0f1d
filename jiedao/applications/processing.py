"""Hook for the workflow engine: processing an accepted application through the item's BPMN process.

`application_accept` (and deemed acceptance) call `start_processing(application)` inside the accepting
transaction, after the time-limit clock has started. Today it does nothing when `item.process_key` is empty
and also nothing otherwise; the lead wires it to the workflow engine (start a process instance of
`item.process_key` with the application as business key). It must not conclude the application itself:
concluding goes through `services.application_conclude`.
"""

from __future__ import annotations


def start_processing(application) -> None:
    if not application.item.process_key:
        return None
    # Workflow integration pending: start a process instance of `application.item.process_key` here.
    return None
