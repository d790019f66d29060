"""What the tests share: chats and people (``chat``), worker processes, and where files are."""

from pathlib import Path
from zoneinfo import ZoneInfo

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"  # blind sets, sample files and known-answer vectors
ROOT = TESTS.parent  # the repository
ZONE = ZoneInfo("Asia/Shanghai")  # the community's time zone in every test
