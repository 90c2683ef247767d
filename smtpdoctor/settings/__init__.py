"""The settings of one run: where and how to connect, which secrets, what to send and where to
look for it (:class:`~smtpdoctor.settings.config.RunConfig`, what checks see as
``ctx.config``).  Plain validated data below the network: the session, the port matrix and
the checks all read it; it imports nothing but the shared words."""
