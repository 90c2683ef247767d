"""Calling a hook the way smtpdoctor does: in pluggy's order, each implementation on its own.

A plain pluggy call (``manager.hook.smtpdoctor_hints(...)``) stops at the first
implementation that raises, and its error does not say whose it is.  smtpdoctor promises the
opposite: a broken plugin costs only its own part, and the message names it.  So
:func:`call_each` calls the implementations one at a time, in exactly the order pluggy
would — ``tryfirst`` ones first, ``trylast`` ones last, otherwise the plugin registered last
first (pluggy calls ``reversed(get_hookimpls())``) — and hands back what each returned or
raised, for the caller to decide what a failure means for its hook.

Hook wrappers (``wrapper=True``, ``hookwrapper=True``) are refused: a wrapper is called
around all other implementations at once, sees and may replace their combined result, and an
exception in it fails them all — the isolation every hook promises.  The plugin manager
refuses them when a plugin is loaded (:func:`wrapper_refusal`); ``docs/plugins/hooks.md``
("Order and wrappers") says why for each hook.

This module imports only pluggy, so that the renderers can use it without the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pluggy

__all__ = ["HookAnswer", "call_each", "wrapper_refusal"]

#: The hookimpl options that make a wrapper: new style, then old style.
_WRAPPER_OPTIONS = ("wrapper", "hookwrapper")


@dataclass(frozen=True, slots=True)
class HookAnswer:
    """What one plugin's implementation of a hook returned, or the exception it raised."""

    plugin_name: str
    """The name the plugin was registered under."""
    plugin: object
    """The plugin itself: a module, a class or an instance."""
    value: object = None
    """What the implementation returned; ``None`` when it raised."""
    error: Exception | None = None
    """The exception the implementation raised, or ``None`` when it returned."""


def call_each(
    caller: pluggy.HookCaller,
    arguments: Callable[[pluggy.HookImpl], Mapping[str, object]],
) -> list[HookAnswer]:
    """Call every implementation of the hook ``caller``, each on its own, in pluggy's order.

    :param caller: the hook, e.g. ``manager.hook.smtpdoctor_hints``.
    :param arguments: the keyword arguments of the call for one implementation (a
        registration hook hands each plugin a ``register`` that knows whose it is); each
        implementation gets the ones it names.
    :return: one answer per implementation, in call order.  An implementation that raises
        an :class:`Exception` is an answer with that ``error``; the others are called all
        the same.
    :raises pluggy.PluginValidationError: naming the plugin and the hook, for a wrapper —
        which the plugin manager refuses on loading, so only a manager built otherwise
        has one.
    """
    implementations = list(reversed(caller.get_hookimpls()))
    for implementation in implementations:  # before any call: a refused hook calls nobody
        refusal = wrapper_refusal(caller.name, implementation.opts)
        if refusal is not None:
            raise pluggy.PluginValidationError(
                implementation.plugin, f"plugin {implementation.plugin_name!r}: {refusal}"
            )
    answers: list[HookAnswer] = []
    for implementation in implementations:
        given = arguments(implementation)
        positional = [given[name] for name in implementation.argnames]
        try:
            value = implementation.function(*positional)
        except Exception as exc:  # noqa: BLE001 - one plugin's failure is its answer
            answers.append(HookAnswer(implementation.plugin_name, implementation.plugin, error=exc))
        else:
            answers.append(HookAnswer(implementation.plugin_name, implementation.plugin, value))
    return answers


def wrapper_refusal(hook_name: str, options: Mapping[str, object]) -> str | None:
    """Why an implementation of ``hook_name`` with these hookimpl ``options`` is refused —
    it is a wrapper, new style or old — or ``None`` when it may be called."""
    for option in _WRAPPER_OPTIONS:
        if options.get(option):
            return (
                f"{hook_name} is a hook wrapper ({option}=True), and smtpdoctor runs none: "
                "it calls each implementation on its own so that one plugin's failure costs "
                "only its own part (docs/plugins/hooks.md, 'Order and wrappers'); implement "
                f"the hook without {option}=True"
            )
    return None
