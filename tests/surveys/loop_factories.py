"""factory_boy factories for survey waves and responses, for closing-the-loop
tests. The answer page and imports (which send ``response_submitted``
themselves) belong to the distribution part; these tests send the signal."""

from __future__ import annotations

import factory
from django.utils import timezone

from kehu.surveys.models import Response, ResponseStatus, Wave
from tests.surveys.factories import add_answers


class WaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Wave

    name = factory.Sequence(lambda n: f"Wave {n}")


class ResponseFactory(factory.django.DjangoModelFactory):
    """A complete response; ``answers={question code: number | text | [choices]}``
    adds its answers."""

    class Meta:
        model = Response
        skip_postgeneration_save = True

    wave = factory.SubFactory(WaveFactory)
    status = ResponseStatus.COMPLETE
    submitted_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def answers(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        add_answers(obj, extracted)


def submit(response):
    """Send ``response_submitted`` as the answer page does once a response is complete."""
    from kehu.surveys.signals import response_submitted

    response_submitted.send(sender=Response, response=response)
    return response
