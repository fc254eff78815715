"""The plan's facts come from a short list of collectors (module_utils/_driver_plan.py, FACT_COLLECTORS) instead of
Ansible's default_collectors module: the list must select what setup selects for the same subsets."""
from __future__ import annotations

from ansible.module_utils.facts import collector, default_collectors

from ansible_collections.gpuhost.provision.plugins.module_utils import _driver_plan


def selected(classes):
    return collector.collector_classes_from_gather_subset(
        all_collector_classes=list(classes), gather_subset=["!all", "min", "virtual"], gather_timeout=10,
        minimal_gather_subset=_driver_plan.MINIMAL_FACT_SUBSET)


def test_the_short_list_selects_what_the_default_collectors_select():
    want = selected(default_collectors.collectors)
    assert want, "the default collectors selected nothing"
    assert selected(_driver_plan.FACT_COLLECTORS) == want


def test_the_short_list_has_no_hardware_or_network_collector():
    names = {c.__module__ for c in _driver_plan.FACT_COLLECTORS}
    assert not [n for n in names if ".hardware." in n or ".network." in n], names
