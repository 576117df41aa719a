"""Signals of the survey workflow, so its parts stay apart.

``response_submitted`` is sent by the distribution part (the answer page,
phone entry, imported answers) once a response is complete and its scores
(``Response.index``, ``nps``, ``satisfied``) are stored, inside the same
transaction, with ``sender=Response`` and ``response=<Response>``, and, when
the sender has them in memory, ``questions`` (the survey's questions, their
constructs loaded) and ``answers`` (question code → value of the questions
shown). Closing the
loop (the customer's attitude, follow-up tasks for the owner) listens to it.
A receiver that fails makes the submission fail: nothing is half-recorded.
"""

from django.dispatch import Signal

response_submitted = Signal()
