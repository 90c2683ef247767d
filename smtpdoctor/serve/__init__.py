"""``smtpdoctor serve``: a Prometheus probe endpoint and a status page over the core API.

One module per responsibility:

* :mod:`~smtpdoctor.serve.config` — the TOML file: modules, limits, allow-list; validated,
  frozen, printed back without secrets;
* :mod:`~smtpdoctor.serve.allowlist` — which targets may be probed;
* :mod:`~smtpdoctor.serve.modules` — a module and a target make one
  :class:`~smtpdoctor.api.Request`;
* :mod:`~smtpdoctor.serve.prober` — admission, queue limit, per-address limit, scrape
  deadline, the thread pool; :mod:`~smtpdoctor.serve.sendgate` — one test message per
  interval; :mod:`~smtpdoctor.serve.history` — the recent probes;
* :mod:`~smtpdoctor.serve.metrics` — the server's own metrics;
  :mod:`~smtpdoctor.serve.exposition` — what ``/probe`` answers;
  :mod:`~smtpdoctor.serve.pages` — the HTML pages;
* :mod:`~smtpdoctor.serve.service` — the running server and its reloads;
  :mod:`~smtpdoctor.serve.app` — the aiohttp routes (the only module that imports aiohttp).

docs/serve.md is the reference.
"""
