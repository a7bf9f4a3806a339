"""The public extension API: what a region or the agency plugs into the harness without forking it.

Everything is registered through Python entry points (as pytest plugins are), the harness's own
validators, rules, packs and suites included (pyproject.toml): see docs/extending.md.
"""

from harness.extension.registry import (
    GROUPS,
    Plugin,
    PluginError,
    cda_rules,
    hl7v2_rule_module,
    hl7v2_rule_names,
    pack_dirs,
    plugins,
    reset,
    suite_dirs,
    validators,
)

__all__ = ["GROUPS", "Plugin", "PluginError", "cda_rules", "hl7v2_rule_module", "hl7v2_rule_names", "pack_dirs", "plugins",
           "reset", "suite_dirs", "validators"]
