"""factory_boy factories for survey waves and responses, for closing-the-loop
tests. The answer page and imports (which send ``response_submitted``
themselves) belong to the distribution part; these tests send the signal."""

from __future__ import annotations

import factory
from django.utils import timezone

from kehu.surveys.models import Answer, Response, ResponseStatus, Wave


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
        questions = {q.code: q for q in obj.wave.survey.questions.all()}
        for code, value in extracted.items():
            q = questions[code]
            if isinstance(value, (int, float)):
                Answer.objects.create(response=obj, question=q, number=value)
            elif isinstance(value, list):
                Answer.objects.create(response=obj, question=q, choices=value)
            elif q.kind == "single":
                Answer.objects.create(response=obj, question=q, choices=[value])
            else:
                Answer.objects.create(response=obj, question=q, text=value)


def submit(response):
    """Send ``response_submitted`` as the answer page does once a response is complete."""
    from kehu.surveys.signals import response_submitted

    response_submitted.send(sender=Response, response=response)
    return response
