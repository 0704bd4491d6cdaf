"""Regenerate the channels' golden files: ``python tests/notify/generate_golden.py``.

Golden files are never edited by hand. Each channel renders every envelope of
``tests/notify/samples.py`` (what ``qrunner notify --dry-run`` writes) into
``tests/notify/golden/<channel type>/<scenario>/<message name>``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from qrunner.notify.channels import CHANNELS  # noqa: E402
from qrunner.notify.channels.apprise_channel import AppriseChannel  # noqa: E402
from qrunner.notify.channels.settings import AppriseSettings  # noqa: E402
from qrunner.notify.events import Channel  # noqa: E402
from tests.notify.samples import scenarios  # noqa: E402

GOLDEN = HERE / "golden"
PER_MESSAGE_ONLY = frozenset({"oversized"})
ENVIRON = {
    "GITHUB_TOKEN": "golden-token-0000",
    "GITHUB_REPOSITORY": "acme/gates",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T000/B000/GOLDEN",
    "GATES_HOOK_URL": "https://hooks.example/gates",
}
SETTINGS = {
    "github-issues": {"labels": ["qrunner", "gates"]},
    "slack": {"url_env": "SLACK_WEBHOOK_URL"},
    "webhook": {"url_env": "GATES_HOOK_URL"},
}


def channels() -> dict[str, Channel]:
    """One channel of each type; apprise without apprise itself (rendering needs none)."""
    built: dict[str, Channel] = {
        kind: CHANNELS[kind]("chat", settings, ENVIRON) for kind, settings in SETTINGS.items()
    }
    built["apprise"] = AppriseChannel(
        "chat", AppriseSettings(urls_env="APPRISE_URLS"), ["json://localhost"], None
    )
    return built


def rendered() -> dict[Path, str]:
    """Relative path → content of every golden file."""
    files: dict[Path, str] = {}
    for kind, channel in channels().items():
        for scenario, envelope in scenarios().items():
            if scenario in PER_MESSAGE_ONLY and kind not in ("slack", "apprise"):
                continue  # a channel with a message per event: 120 files would show nothing new
            for message in channel.render(envelope):
                files[Path(kind) / scenario / message.name] = message.content
    return files


def main() -> None:
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for path, content in rendered().items():
        target = GOLDEN / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    print(f"wrote {len(rendered())} golden files under {GOLDEN}")


if __name__ == "__main__":
    main()
