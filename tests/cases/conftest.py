import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

@pytest.fixture
def cenv(backend, tmp_path):
    from case_helpers import CaseEnv

    e = CaseEnv.create(backend[0], backend[1], tmp_path)
    yield e
    e.store.dispose()


@pytest.fixture
def senv(tmp_path):
    from case_helpers import CaseEnv

    e = CaseEnv.create(f"sqlite:///{tmp_path / 'ledger.db'}", None, tmp_path)
    yield e
    e.store.dispose()
