from tests.api.conftest import api_as  # noqa: F401 - the API client fixture
from tests.surveys.conftest import gas  # noqa: F401 - the natural-gas survey fixture
